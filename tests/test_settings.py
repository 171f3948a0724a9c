"""Settings fail loudly on bad values: each case starts a fresh interpreter with a bad environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOOD = {
    "DEBUG": "false",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "baseline.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/baseline",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "BASELINE_SIGNING_KEY_FILE": os.environ["BASELINE_SIGNING_KEY_FILE"],  # the suite's key (tests/settings.py)
}


S3 = "storages.backends.s3.S3Storage"
S3_ENV = {"BASELINE_EXPORT_STORAGE": S3, "AWS_STORAGE_BUCKET_NAME": "baseline-releases",
          "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "not-a-real-secret"}


def load(*, script: str = "import config.settings", **overrides: str | None) -> subprocess.CompletedProcess:
    """Import the settings (or run `script`) in a fresh interpreter with GOOD and `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASELINE_", "DJANGO_", "AWS_"))}
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )


def test_good_production_settings_load():
    result = load()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"ALLOWED_HOSTS": None}, "ALLOWED_HOSTS must be set"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY must be at least 32 characters"),
        ({"DEBUG": "maybe"}, "DEBUG must be 'true' or 'false', not 'maybe'"),
        ({"BASELINE_REQUIRED_AGREEMENTS": "2"}, "BASELINE_REQUIRED_AGREEMENTS must be at least 3, not 2"),
        ({"BASELINE_REQUIRED_AGREEMENTS": "three"}, "BASELINE_REQUIRED_AGREEMENTS must be a whole number"),
        ({"BASELINE_MIN_REVIEWER_ORGANISATIONS": "0"}, "BASELINE_MIN_REVIEWER_ORGANISATIONS must be at least 1"),
        ({"BASELINE_MIN_REVIEWER_ORGANISATIONS": "4"}, "cannot exceed BASELINE_REQUIRED_AGREEMENTS"),
        ({"BASELINE_REQUIRE_MFA": "false"}, "BASELINE_REQUIRE_MFA can be false only in development"),
        ({"BASELINE_MAX_UPLOAD_MB": "0"}, "BASELINE_MAX_UPLOAD_MB must be at least 1"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must start with postgres:// or sqlite:///"),
        ({"DATABASE_URL": "postgres://127.0.0.1:5432/"}, "a postgres URL needs a database name"),
        ({"BASELINE_SIGNING_KEY_FILE": None}, "BASELINE_SIGNING_KEY_FILE must name the Ed25519 private key"),
        ({"REDIS_URL": None}, "REDIS_URL must be set outside development"),
        ({"BASELINE_SIGNING_KEY_FILE": "/nonexistent/key.pem"}, "BASELINE_SIGNING_KEY_FILE must name"),
        ({"BASELINE_API_RATE": "lots"}, "BASELINE_API_RATE must be a rate such as '3000/hour'"),
        ({"BASELINE_API_RATE": "0/hour"}, "BASELINE_API_RATE must be a rate such as '3000/hour'"),
        ({"BASELINE_API_RATE": "100/fortnight"}, "not '100/fortnight'"),
        ({"BASELINE_API_RATE": "100"}, "BASELINE_API_RATE must be a rate"),
        ({"BASELINE_EXPORT_STORAGE": "s3"}, "BASELINE_EXPORT_STORAGE must be a dotted class path"),
        ({"BASELINE_EXPORT_STORAGE": "storages.backends.s3..S3Storage"}, "must be a dotted class path"),
        ({"BASELINE_EXPORT_STORAGE": "nosuchpackage.backends.S3Storage"},
         "BASELINE_EXPORT_STORAGE: cannot import 'nosuchpackage.backends'"),
        ({"BASELINE_EXPORT_STORAGE": "django.core.files.storage.NoSuchStorage"},
         "is not a django.core.files.storage.Storage class"),
        ({"BASELINE_EXPORT_STORAGE": "config.env.env_str"}, "is not a django.core.files.storage.Storage class"),
        ({"BASELINE_DOWNLOAD_URL_SECONDS": "0"}, "BASELINE_DOWNLOAD_URL_SECONDS must be at least 1, not 0"),
        ({"BASELINE_DOWNLOAD_URL_SECONDS": "soon"}, "BASELINE_DOWNLOAD_URL_SECONDS must be a whole number"),
        ({"BASELINE_DOWNLOAD_URL_SECONDS": "604801"}, "BASELINE_DOWNLOAD_URL_SECONDS must be at most 604800"),
        ({"BASELINE_EXPORT_STORAGE": S3, "AWS_STORAGE_BUCKET_NAME": None},
         "AWS_STORAGE_BUCKET_NAME must be set when BASELINE_EXPORT_STORAGE is storages.backends.s3.S3Storage"),
        ({**S3_ENV, "AWS_SECRET_ACCESS_KEY": None},
         "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together, or neither"),
        ({**S3_ENV, "AWS_S3_ADDRESSING_STYLE": "sideways"},
         "AWS_S3_ADDRESSING_STYLE must be one of auto, path, virtual, not 'sideways'"),
        ({**S3_ENV, "AWS_S3_ENDPOINT_URL": "minio:9000"}, "AWS_S3_ENDPOINT_URL must be an http:// or https:// URL"),
        ({"BASELINE_LOCKOUT_FAILURES": "0"}, "BASELINE_LOCKOUT_FAILURES must be at least 1"),
        ({"BASELINE_TRUSTED_PROXIES": "one"}, "BASELINE_TRUSTED_PROXIES must be a whole number"),
    ],
)
def test_bad_settings_stop_start_up_with_a_clear_message(overrides, message):
    result = load(**overrides)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and message in result.stderr


def test_development_needs_no_secret_and_may_turn_mfa_off(tmp_path):
    result = load(DEBUG="true", SECRET_KEY=None, ALLOWED_HOSTS=None, BASELINE_REQUIRE_MFA="false",
                  DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3")
    assert result.returncode == 0, result.stderr


def test_object_storage_options_come_from_the_aws_variables():
    result = load(**S3_ENV, AWS_S3_ENDPOINT_URL="https://objects.example:9000", AWS_S3_REGION_NAME="eu-west-1",
                  AWS_S3_ADDRESSING_STYLE="Path", BASELINE_DOWNLOAD_URL_SECONDS="60",
                  script="import json, config.settings as s; print(json.dumps(s.STORAGES['exports']))")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"BACKEND": S3, "OPTIONS": {
        "bucket_name": "baseline-releases", "endpoint_url": "https://objects.example:9000",
        "region_name": "eu-west-1", "addressing_style": "path", "location": "",
        "access_key": "AKIDEXAMPLE", "secret_key": "not-a-real-secret", "signature_version": "s3v4",
        "querystring_auth": True, "querystring_expire": 60, "file_overwrite": False,
        "object_parameters": {"ContentType": "application/octet-stream"}, "max_memory_size": 8 * 1024 * 1024,
    }}


def test_object_storage_without_keys_leaves_them_to_boto3():
    """No credential has a default: without the two keys boto3 finds its own (an instance role...)."""
    result = load(BASELINE_EXPORT_STORAGE=S3, AWS_STORAGE_BUCKET_NAME="baseline-releases",
                  script="import json, config.settings as s; print(json.dumps(s.STORAGES['exports']['OPTIONS']))")
    assert result.returncode == 0, result.stderr
    options = json.loads(result.stdout)
    assert "access_key" not in options and "secret_key" not in options
    assert options["querystring_expire"] == 300


def test_good_rates_and_storage_classes_load():
    result = load(BASELINE_API_RATE="100/minute", BASELINE_EXPORT_STORAGE="django.core.files.storage.FileSystemStorage")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("rate", ["5/s", "5/second", "10/min", "3000/hour", "3000 / hour", "1/d"])
def test_every_accepted_rate_is_one_the_throttle_understands(rate, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    from config.env import env_rate

    monkeypatch.setenv("BASELINE_API_RATE", rate)
    number, seconds = SimpleRateThrottle.parse_rate(None, env_rate("BASELINE_API_RATE", "3000/hour"))
    assert number >= 1 and seconds in {1, 60, 3600, 86400}


def test_raising_required_agreements_is_allowed():
    assert load(BASELINE_REQUIRED_AGREEMENTS="5").returncode == 0


def test_check_deploy_is_clean_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASELINE_", "DJANGO_"))}
    env.update(GOOD, SECRET_KEY="k3Y-" + "".join(chr(65 + (i * 7) % 26) for i in range(60)),
               DJANGO_SETTINGS_MODULE="config.settings")
    env.pop("SECURE_SSL_REDIRECT", None)
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_a_broker_tasks_run_in_process_and_nothing_looks_for_one():
    """`make run`: no CELERY_BROKER_URL, so tasks run eagerly; queueing one must neither need nor
    look for a broker (kombu warns "No hostname was supplied" when it falls back to AMQP)."""
    script = (
        "import django, logging; django.setup()\n"
        "from config.celery import app\n"
        "seen = []\n"
        "class Seen(logging.Handler):\n"
        "    def emit(self, record):\n"
        "        seen.append(record)\n"
        "logging.getLogger('kombu').addHandler(Seen())\n"
        "@app.task\n"
        "def double(n):\n"
        "    return 2 * n\n"
        "assert app.conf.task_always_eager\n"
        "assert double.delay(21).get() == 42\n"
        "assert not [r.getMessage() for r in seen if r.levelno >= logging.WARNING], seen\n"
        "print('ok')\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BASELINE_", "DJANGO_", "CELERY_"))}
    env.update(GOOD, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr
