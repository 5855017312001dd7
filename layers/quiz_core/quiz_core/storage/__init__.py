"""Adapters to PostgreSQL and DynamoDB. Only modules here import psycopg or boto3."""
