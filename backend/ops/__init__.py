"""Operations: backup and restore of the whole database (``flask backup …``)."""
