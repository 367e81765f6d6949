"""Staff review of ranked candidates: who may decide, decisions, approvals, shortlists."""
