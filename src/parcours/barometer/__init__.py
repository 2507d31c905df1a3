"""barometer"""
