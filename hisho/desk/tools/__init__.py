"""Assistant tools and customer feedback on errands (issue 18; docs/desk.md): labels from an
admin-defined list, canned replies, internal notes, and the customer's rating."""
