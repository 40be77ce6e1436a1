from django.db import migrations

import kepu.core.search


class Migration(migrations.Migration):
    dependencies = [("resources", "0001_initial")]

    operations = [kepu.core.search.CreateSearchIndex("resources")]
