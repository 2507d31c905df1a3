"""The alert-management application: campaigns, dispatch, the 3-step control protocol, guides, reports, steering."""
