"""Regional exam scheduling: exam requests, scheduling runs, proposals and their commitment as bookings."""
