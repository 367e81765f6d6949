"""The coordinator system (支援策②): profiles and certification, caseload, training, network
meetings and self-assessment, with the figures of pillar 2."""
