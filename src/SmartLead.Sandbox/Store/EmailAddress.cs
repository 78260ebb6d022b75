namespace SmartLead.Sandbox.Store;

/// <summary>
/// A deliberately plain address check (one <c>@</c>, a dotted domain, no spaces): enough to tell a typo from an
/// address, which is all SmartLead's <c>invalid_email_count</c> tells a client.
/// </summary>
internal static class EmailAddress
{
    public static bool IsValid(string email)
    {
        if (email.Length is 0 or > 254 || email.Any(char.IsWhiteSpace))
        {
            return false;
        }

        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@'))
        {
            return false;
        }

        var domain = email.AsSpan(at + 1);
        var dot = domain.IndexOf('.');
        return dot > 0 && domain[^1] != '.';
    }
}
