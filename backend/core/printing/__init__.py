"""Printing for the village notice board: the figures as a notice writes them (:mod:`.figures`), the A4 PDF
typesetting with its embedded Chinese font (:mod:`.notice`), and the 公示 sheet every domain prints its public
record on (:mod:`.board`: title, period, the 公示 period's end, the figures, the sign-off block, the seal's short
code and the QR code to the mini-program page)."""
