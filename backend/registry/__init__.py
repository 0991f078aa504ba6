"""The registry: townships, villages, households, people and members, role assignments, roster files."""
