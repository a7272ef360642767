"""Human agents: login and sessions, the handoff queue with assignment and SLA, the console's reads."""
