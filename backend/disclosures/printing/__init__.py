"""Printing a published 财务公开: the document (:mod:`.document`), its .xlsx (:mod:`.sheet`) and its PDF
(:mod:`.pdf`)."""
