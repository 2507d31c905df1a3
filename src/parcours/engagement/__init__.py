"""The engagement contract: action plan, weekly intensity, deadlines, financing clocks, PDF."""
