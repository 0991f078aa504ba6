"""Reports over the posted books: 科目余额表, 资产负债表, 收益及收益分配表, the villagers' yearly summary, yearly
income across villages, and a period's income and expense lines for a disclosure."""
