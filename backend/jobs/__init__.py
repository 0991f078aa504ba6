"""Public-benefit jobs (公益岗位): postings, applications and eligibility, the sealed list and the seeded draw,
the 公示 with its objections, hires, monthly attendance and pay posted to the books.

Other packages read a villager's pay through ``pay_of_person`` (the villager's home page).
"""

from backend.jobs.service import pay_of_person

__all__ = ["pay_of_person"]
