"""Configuration: config.toml read into typed settings, checked once at load.

- schema: the settings as plain dataclasses (pure: what every stage may read);
- load: config.toml -> Config, every mistake one ConfigError sentence;
- secrets: the SMTP password and token secret (environment, files, systemd credentials);
- starter: the commented config `digest init` writes.

May import: digest.errors, digest.log, digest.model, digest.periods. Never a stage.
"""

__all__ = ["load", "schema", "secrets", "starter"]
