"""The lakehouse: Iceberg catalog, object storage and Spark session factories."""
