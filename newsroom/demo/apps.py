from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo content and accounts for a development site (`seed_demo`, `setup_demo`)."""

    name = "newsroom.demo"
    label = "demo"
    verbose_name = "Demo"
