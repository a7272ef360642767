"""Identity (KYC) and business (KYB) verification providers, and the identity-number vault."""
