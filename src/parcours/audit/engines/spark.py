"""Spark, for national volumes: the same pipeline steps as DuckDB, run by a SparkSession.

Imported only when `PARCOURS_ENGINE=spark` (see `make_engine`). Every statement arrives in the
DuckDB dialect the templates are written in and is translated by `spark_sql.SparkTranslator`.
Named tables become cached temporary views: a campaign's intermediate tables are small next to
the log, and caching keeps Spark from recomputing the whole lineage at each step.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import sqlglot
from pyspark.errors import PySparkException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import types as T
from sqlglot import exp
from sqlglot.errors import SqlglotError

from parcours.audit.engines.base import AnalyticsEngine, EngineError
from parcours.audit.engines.spark_sql import SparkTranslator

# A local session for one machine and the tests; a cluster passes its own session instead.
DEFAULT_MASTER = "local[2]"


def local_session(
    *,
    master: str = DEFAULT_MASTER,
    shuffle_partitions: int = 4,
    driver_memory: str = "2g",
    adaptive: bool = True,
    extra_conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """The process's SparkSession (created once), with Splink's similarity functions on the classpath.

    Few shuffle partitions: Spark's default (200) costs seconds of scheduling per step on small data.
    `extra_conf`: more settings, applied last (the test suite tunes its session for tiny data).
    """
    from splink.internals.spark.jar_location import similarity_jar_location

    builder: Any = SparkSession.builder
    if master:
        # Empty under spark-submit: the cluster's master and resources come from the command line.
        builder = builder.master(master).config("spark.driver.memory", driver_memory)
    builder = (
        builder.appName("parcours-detection")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        # Adaptive execution re-plans after each shuffle: worth it on volumes, not on test rows.
        .config("spark.sql.adaptive.enabled", str(adaptive).lower())
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.jars", similarity_jar_location())
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # Timestamps with a zone are instants, as in DuckDB's TIMESTAMPTZ.
        .config("spark.sql.timestampType", "TIMESTAMP_LTZ")
    )
    for key, value in (extra_conf or {}).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()  # type: ignore[no-any-return]


def _type_name(t: T.DataType) -> str:
    """Spark type -> the engine-neutral names the input normalisation reads (DuckDB's spelling).

    Spark's TIMESTAMP is an instant (UTC session), which is DuckDB's TIMESTAMP WITH TIME ZONE; only
    TIMESTAMP_NTZ is a wall-clock time to be read as Paris local time.
    """
    if isinstance(t, T.StringType | T.CharType | T.VarcharType):
        return "VARCHAR"
    if isinstance(t, T.TimestampNTZType):
        return "TIMESTAMP"
    if isinstance(t, T.TimestampType):
        return "TIMESTAMP WITH TIME ZONE"
    return t.simpleString().upper()


class SparkEngine(AnalyticsEngine):
    name = "spark"

    def __init__(self, *, session: SparkSession | None = None) -> None:
        self._translator = SparkTranslator()
        self.functions = self._translator.functions
        self._spark = session or local_session()
        self._tables: dict[str, DataFrame] = {}
        self._files = 0
        self._checkpoints = tempfile.TemporaryDirectory(prefix="parcours-spark-")
        self._spark.sparkContext.setCheckpointDir(self._checkpoints.name)

    # -- inputs -------------------------------------------------------------------------------

    def register_arrow(self, name: str, table: pa.Table) -> None:
        self._publish(name, self._from_arrow(table))

    def _from_arrow(self, table: pa.Table) -> DataFrame:
        if table.num_rows == 0:
            # createDataFrame needs rows or a schema: build the schema from the Arrow types.
            return self._spark.createDataFrame([], schema=_spark_schema(table.schema))
        return self._spark.createDataFrame(table)

    def read_files(self, path_or_glob: str, *, file_format: str) -> str:
        reader = self._spark.read
        path = path_or_glob
        if "**" in path:
            # DuckDB's recursive glob: Spark walks the folder itself.
            path = path.split("**", 1)[0].rstrip("/")
            reader = reader.option("recursiveFileLookup", "true")
        elif "*" in path:
            # `root/day=*/*.parquet`: the root stays the base so that `day=` folders are partitions.
            base = path.split("*", 1)[0].rsplit("/", 1)[0]
            reader = reader.option("basePath", base)
        if file_format == "csv":
            # All columns as text, like DuckDB's all_varchar: the input normalisation parses them.
            df = reader.options(header=True, escape='"', quote='"').csv(path)
        elif file_format == "parquet":
            df = reader.option("mergeSchema", "true").parquet(path)
        else:
            raise ValueError(f"unknown file format {file_format!r}")
        self._files += 1
        name = f"files_{self._files}"
        self._publish(name, df, cache=False)
        return name

    def list_files(self, uri: str) -> list[str]:
        # Hadoop's FileSystem: the same storage Spark reads (local, HDFS, S3 through s3a://...).
        jvm: Any = self._spark._jvm
        path = jvm.org.apache.hadoop.fs.Path(uri)
        fs = path.getFileSystem(self._spark._jsc.hadoopConfiguration())
        if not fs.exists(path):
            return []
        found = fs.listFiles(path, True)  # a file lists itself
        out = []
        while found.hasNext():
            out.append(str(found.next().getPath().toString()))
        return sorted(out)

    def column_types(self, relation: str) -> dict[str, str]:
        df = self._dataframe(f"SELECT * FROM {relation}")
        return {f.name: _type_name(f.dataType) for f in df.schema.fields}

    # -- statements ---------------------------------------------------------------------------

    def execute(self, sql: str) -> None:
        """CREATE TABLE/VIEW ... AS and DROP run on the session catalogue; anything else is run."""
        try:
            tree = sqlglot.parse_one(sql, read="duckdb")
        except SqlglotError as exc:
            raise EngineError(f"Spark: not translatable: {exc}", sql=sql) from exc
        target = tree.find(exp.Table)
        if isinstance(tree, exp.Create) and tree.expression is not None and target is not None:
            name = target.name
            select = tree.expression.sql(dialect="duckdb")
            kind = str(tree.args.get("kind") or "TABLE").upper()
            self._publish(name, self._dataframe(select), cache=kind == "TABLE")
            return
        if isinstance(tree, exp.Drop) and target is not None:
            self._drop(target.name)
            return
        self._dataframe(sql).collect()

    def create_table(self, name: str, select_sql: str) -> None:
        self._publish(name, self._dataframe(select_sql), cache=True)

    def stage(self, view: str) -> None:
        # Nothing: Spark splits a CSV file between its tasks and reads it in parallel, and caching
        # a national log would take the executors' memory the later joins need.
        return None

    def create_view(self, name: str, select_sql: str) -> None:
        self._publish(name, self._dataframe(select_sql), cache=False)

    def fetch_arrow(self, sql: str) -> pa.Table:
        df = self._dataframe(sql)
        try:
            return df.toArrow()
        except PySparkException as exc:
            raise EngineError(f"Spark: {exc}", sql=sql) from exc

    def native_connection(self) -> Any:
        return self._spark

    def close(self) -> None:
        for name in list(self._tables):
            self._drop(name)
        self._checkpoints.cleanup()

    # -- helpers ------------------------------------------------------------------------------

    def _dataframe(self, sql: str) -> DataFrame:
        try:
            spark_sql = self._translator.translate(sql)
        except SqlglotError as exc:
            raise EngineError(f"Spark: not translatable: {exc}", sql=sql) from exc
        try:
            return self._spark.sql(spark_sql)
        except PySparkException as exc:
            raise EngineError(f"Spark: {exc}", sql=spark_sql) from exc

    def _publish(self, name: str, df: DataFrame, *, cache: bool = True) -> None:
        old = self._tables.pop(name, None)
        if cache:
            # Materialised now, lineage cut: the next step is planned over these rows, not over the
            # whole chain back to the files (lazy caching measured 5 to 15 times slower here).
            df = df.localCheckpoint(eager=True)
        df.createOrReplaceTempView(name)
        self._tables[name] = df
        if old is not None and old.is_cached:
            old.unpersist()

    def _drop(self, name: str) -> None:
        df = self._tables.pop(name, None)
        if df is not None and df.is_cached:
            df.unpersist()
        self._spark.catalog.dropTempView(name)


def _spark_schema(schema: pa.Schema) -> T.StructType:
    from pyspark.sql.pandas.types import from_arrow_type

    return T.StructType([T.StructField(f.name, from_arrow_type(f.type), True) for f in schema])
