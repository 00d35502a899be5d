from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "hisho.privacy"
    label = "privacy"
    verbose_name = "Privacy center"

    def ready(self) -> None:
        from hisho.privacy import checks  # noqa: F401 - registers the start-up checks
        from hisho.privacy.policy import current_policy

        # A policy.yaml that does not hold together stops every entry point here, with a
        # message naming the entry (hisho.privacy.policy.PolicyError).
        current_policy()
