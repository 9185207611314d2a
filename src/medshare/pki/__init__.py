"""The platform's certificate authority: practitioners' X.509 certificates, revocation, signatures."""
