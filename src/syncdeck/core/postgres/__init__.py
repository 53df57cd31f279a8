"""The PostgreSQL backend: the knowledge store and the state database in one database that
many hosts share (docs/architecture.md, "PostgreSQL backend").

``connection`` (URLs, masking, sessions that reconnect, error messages), ``schema`` (tables
and migrations), ``store`` (the knowledge store), ``state`` (the state store), ``notifications``
(LISTEN/NOTIFY), ``migrate`` (copying a SQLite deck in). The driver, psycopg 3, is an
optional extra imported only when a URL asks for it.
"""
