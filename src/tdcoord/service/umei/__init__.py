"""The UMEI facade (``/umei/v1``) over the platform's store."""
