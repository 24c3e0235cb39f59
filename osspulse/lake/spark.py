"""The Spark session factory: local mode by default, the Iceberg catalog configured from settings.

Jars come from the setup cache (``make setup``); nothing is downloaded at run time.

No secret is ever Spark *launch* configuration: PySpark starts its JVM as ``spark-submit --conf KEY=VALUE
...`` with every property the builder holds, so a password there is on the JVM's command line, which
every user of the machine can read (``ps``). The catalog's secrets (the Postgres password, the S3 keys)
are set on the running session instead (:func:`spark_session`), before the catalog is first used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from osspulse.install import ARTIFACTS
from osspulse.settings import Settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

#: the jars Spark needs: the ones ``make setup`` downloads into ``<cache>/jars`` (versions pinned there only)
JARS = tuple(Path(a.dest).name for a in ARTIFACTS if a.dest.startswith("jars/"))


def jar_paths(s: Settings) -> list[str]:
    paths = [s.jars_dir / name for name in JARS]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise RuntimeError(f"Spark jars missing from the cache ({', '.join(missing)}): run `make setup`")
    return [str(p) for p in paths]


def spark_conf(s: Settings) -> dict[str, str]:
    """Every Spark property OSS Pulse sets at launch; none is secret (see :func:`spark_secret_conf`)."""
    cat = f"spark.sql.catalog.{s.catalog_name}"
    return {
        "spark.jars": ",".join(jar_paths(s)),
        "spark.sql.extensions": "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions",
        cat: "org.apache.iceberg.spark.SparkCatalog",
        f"{cat}.type": "jdbc",
        f"{cat}.uri": s.pg_jdbc_url(s.pg_catalog_db),
        f"{cat}.jdbc.user": s.pg_user,
        f"{cat}.jdbc.schema-version": "V1",
        # PostgreSQL ends every session when it restarts (SQLSTATE 57P01 admin shutdown, 57P02 crash,
        # 57P03 starting): reconnect and retry like a dropped connection (08xxx, retried by default)
        f"{cat}.retryable_status_codes": "57P01,57P02,57P03",
        f"{cat}.warehouse": s.warehouse,
        f"{cat}.io-impl": "org.apache.iceberg.aws.s3.S3FileIO",
        f"{cat}.s3.endpoint": s.s3_endpoint_url,
        f"{cat}.s3.path-style-access": "true",
        f"{cat}.client.region": s.s3_region,
        "spark.sql.defaultCatalog": s.catalog_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": s.spark_driver_memory,
        "spark.driver.bindAddress": s.bind_host,
        "spark.driver.host": s.bind_host,
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.shuffle.partitions": "4",
        "spark.sql.adaptive.enabled": "true",
        "spark.driver.extraJavaOptions": "-Duser.timezone=UTC",
        "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
    }


def spark_secret_conf(s: Settings) -> dict[str, str]:
    """The catalog's credentials: set on the running session, never at launch."""
    cat = f"spark.sql.catalog.{s.catalog_name}"
    return {
        f"{cat}.jdbc.password": s.pg_password.get_secret_value(),
        f"{cat}.s3.access-key-id": s.s3_access_key.get_secret_value(),
        f"{cat}.s3.secret-access-key": s.s3_secret_key.get_secret_value(),
    }


def secret_conf_keys(s: Settings) -> set[str]:
    return set(spark_secret_conf(s))


def spark_session(s: Settings, app_name: str = "osspulse") -> SparkSession:
    """A SparkSession on ``s.spark_master`` with the ``lake`` Iceberg catalog.

    The launch properties (:func:`spark_conf`) go to the builder; the catalog's secrets are set on the
    session afterwards, so they reach neither the JVM's command line nor the Spark UI's launch properties.
    """
    os.environ.setdefault("JAVA_HOME", str(s.resolve_spark_java_home()))
    os.environ.setdefault("SPARK_LOCAL_IP", s.bind_host)
    os.environ.setdefault("TZ", "UTC")
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.appName(app_name).master(s.spark_master)
    for key, value in spark_conf(s).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    for key, value in spark_secret_conf(s).items():
        spark.conf.set(key, value)
    spark.sparkContext.setLogLevel("WARN")
    return spark
