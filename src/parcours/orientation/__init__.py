"""orientation"""
