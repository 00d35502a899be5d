"""Publish policy.yaml as it stands as version 1, so that a new install has a policy in
force from the start (later versions are published by admins at /staff/privacy/)."""

from django.db import migrations


def publish_first_version(apps, schema_editor):
    from hisho.privacy.policy import current_policy

    PolicyVersion = apps.get_model("privacy", "PolicyVersion")
    if PolicyVersion.objects.exists():
        return
    policy = current_policy()
    PolicyVersion.objects.create(
        number=1,
        changes_en="The first version of Hisho's privacy policy.",
        changes_ja="Hisho のプライバシーポリシーの最初の版です。",
        document=policy.document,
        digest=policy.digest,
        renewed_purposes=[p.key for p in policy.consent_purposes],
    )


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_initial")]

    operations = [migrations.RunPython(publish_first_version, migrations.RunPython.noop)]
