from django.apps import AppConfig


class AttachmentsConfig(AppConfig):
    name = "hisho.attachments"
    label = "attachments"
    verbose_name = "Attachments"

    def ready(self) -> None:
        from pillow_heif import register_heif_opener

        # Pillow opens HEIC photos (iPhones) once pillow-heif has registered its opener;
        # they are re-encoded as JPEG (hisho/attachments/screening.py).
        register_heif_opener()
