"""The 四议两公开 pipeline: a decision's stages copied from a template, meetings, 公示 with objections, the
implementation result, and settling the votes taken on its stages."""
