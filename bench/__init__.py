"""Benchmark the advisor against the stock `rasa init` bot, over the REST channel.

Run: .venv/bin/python -m bench [--rounds N] [--train-advisor] [--time-cap MIN]
(or `make bench BENCH_ARGS=...`)

What one run does (servers on 127.0.0.1, free ports, started and stopped by PID):
1. Prepares the stock bot in bench/cache/stock (`rasa init --no-prompt`, which trains
   it); it is trained again only when its data or the Rasa version changed. Its
   training time is kept in bench/cache/stock.json. The advisor's training time comes
   from a timed `rasa train --force` into a temporary folder, kept in
   bench/cache/advisor_train.json and measured again when its config, domain or data
   changed, or with --train-advisor.
2. Starts each bot in turn (stock, advisor, stock, advisor, ... for --rounds), the
   advisor with its action server as `make run` does (infra/launch.py); measures
   the time from process start to the first REST reply; drives the bot through
   /webhooks/rest/webhook
   with (a) sequential turns of short realistic conversations (a new sender per
   conversation) and (b) concurrent users (asyncio + aiohttp, one session per user);
   records turn latency p50/p95/p99, messages/s for (b), and the RSS (VmRSS, children
   included) of the Rasa server and, separately, of the action server.
3. Prints a side-by-side table with the advisor/stock ratios and the targets and
   writes bench/results/<timestamp>.json (medians across rounds, every round's raw
   numbers, the CPU other processes used meanwhile).
4. For the advisor only: latency and RSS over one 100-turn conversation, and p50 and
   messages/s at 1, 4, 16, 32 concurrent users; a PNG plot next to the JSON.
Optionally (--profile SECONDS) samples the advisor's Rasa and action servers with
py-spy under sequential load (not measured) and stores where the time goes.

Everything is bounded by --time-cap (minutes) and per-request timeouts; the servers
are always stopped; a failed start prints the tail of the server's log.

Modules: cli (arguments, the run), conversations (what the users say), training
(stock bot preparation, training times), processes (server processes), bots
(starting each bot until it answers), load (the users, latency and throughput),
measure (the measured phases), memory and cpu (/proc), machine (what was
measured where), profiling (py-spy), report (summary, table, plot).
"""
