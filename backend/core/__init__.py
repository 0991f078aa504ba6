"""What every domain uses: money, errors, permissions, pagination, audit, seals, clock.

`core` imports nothing else of the project (only Flask, SQLAlchemy and the standard library).
"""
