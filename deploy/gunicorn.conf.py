"""gunicorn for Baseline's web processes (deploy/README.md). Threaded workers: a slow client's
body holds one thread, not a process; the worker timeout kills a worker stuck past it."""

import multiprocessing
import os

bind = os.environ.get("BASELINE_BIND", "127.0.0.1:8001")  # the reverse proxy's upstream
worker_class = "gthread"
workers = int(os.environ.get("BASELINE_WEB_WORKERS", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("BASELINE_WEB_THREADS", 8))
# gthread: the timeout is the worker's heartbeat, kept by its main thread; a request thread hashing a
# video (up to BASELINE_MAX_VIDEO_CPU_SECONDS of CPU) may run longer without the worker being killed.
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("BASELINE_PROXY_IPS", "127.0.0.1")
accesslog = "-"
errorlog = "-"
