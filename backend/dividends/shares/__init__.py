"""The share register: share types, dated changes, certificates, payee accounts, the register on any date, and its
.xlsx files in and out."""
