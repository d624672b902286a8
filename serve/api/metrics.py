"""Prometheus metrics of one app: requests by endpoint and status, latency, documents, characters.

Each app gets its own ``CollectorRegistry`` so several apps (tests, reloads of the module)
never collide on metric names. The middleware labels requests by route template, not raw
path, so fuzzed URLs cannot blow up label cardinality.
"""

from __future__ import annotations

import time

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Latency buckets from a few ms (health checks) to tens of seconds (a long article on CPU).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
# Requests joined into one model call: 1 means no batching happened; the queue bounds the top.
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """The app's collectors; ``render()`` is the /metrics body in the Prometheus text format."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("rasd_requests", "HTTP requests by endpoint, method and status",
                                ["endpoint", "method", "status"], registry=self.registry)
        self.latency = Histogram("rasd_request_duration_seconds", "time to answer a request, by endpoint",
                                 ["endpoint"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.documents = Counter("rasd_documents", "documents tagged", registry=self.registry)
        self.characters = Counter("rasd_characters", "characters of text tagged", registry=self.registry)
        self.spans = Counter("rasd_spans", "spans (claim sentences for claims) predicted, by layer", ["layer"],
                             registry=self.registry)
        self.inference = Histogram("rasd_inference_duration_seconds",
                                   "time waiting for and spent in the model per request",
                                   buckets=LATENCY_BUCKETS, registry=self.registry)
        self.model_loaded = Gauge("rasd_model_loaded", "1 when a model is loaded and serving",
                                  registry=self.registry)
        self.batch_size = Histogram("rasd_batch_size", "requests joined into one model call (micro-batching)",
                                    buckets=BATCH_BUCKETS, registry=self.registry)
        self.batch_duration = Histogram("rasd_batch_duration_seconds", "time in the model per joined call",
                                        buckets=LATENCY_BUCKETS, registry=self.registry)
        self.queue_depth = Gauge("rasd_queue_depth", "requests waiting for the model (micro-batching)",
                                 registry=self.registry)
        self.queue_wait = Histogram("rasd_queue_wait_seconds",
                                    "time a request waited in the queue before its model call started",
                                    buckets=LATENCY_BUCKETS, registry=self.registry)
        self.expected_wait = Gauge("rasd_queue_expected_wait_seconds",
                                   "expected wait for an answer of a request sent now (0 before the model is timed)",
                                   registry=self.registry)

    def observe_batch(self, requests: int, seconds: float) -> None:
        self.batch_size.observe(requests)
        self.batch_duration.observe(seconds)

    def observe_prediction(self, texts: list[str], documents, seconds: float) -> None:
        self.documents.inc(len(texts))
        self.characters.inc(sum(len(text) for text in texts))
        self.inference.observe(seconds)
        for document in documents:
            for layer, spans in document.layers.items():
                self.spans.labels(layer).inc(len(spans))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Pure ASGI middleware: count every HTTP response and time it, errors included.

    It sits outside the size limit and the error handlers' responses, so 413s and 422s are
    counted; an exception escaping the app is counted as 500 and re-raised.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics, known_paths: frozenset[str] = frozenset()) -> None:
        self.app = app
        self.metrics = metrics
        # Responses sent before routing (e.g. 413 from the size limit) have no route yet.
        self.known_paths = known_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            endpoint = getattr(scope.get("route"), "path", None) or (
                scope["path"] if scope["path"] in self.known_paths else "unmatched")
            self.metrics.requests.labels(endpoint, scope["method"], str(status)).inc()
            self.metrics.latency.labels(endpoint).observe(time.perf_counter() - started)
