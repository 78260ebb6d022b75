using System.Text;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Masks an email for logs: the first character of the local part stays, the rest becomes <c>***</c>, the domain
/// stays (<c>alice@example.com</c> → <c>a***@example.com</c>). Ops can still tell domains apart; nobody can read
/// an address back.
/// </summary>
internal static class EmailMask
{
    public const string Masked = "***";

    public static string Mask(string? email)
    {
        if (string.IsNullOrEmpty(email))
        {
            return string.Empty;
        }

        // The last '@' separates the domain: anything before it, '@' included, is local part and hidden.
        var at = email.LastIndexOf('@');
        if (at < 0)
        {
            return Masked;
        }

        var domain = email.AsSpan(at);
        if (at == 0)
        {
            return string.Concat(Masked, domain);
        }

        // Keep a whole first character: half a surrogate pair would be garbage in the log.
        // A one-character local part would be shown whole, so it is hidden too.
        if (Rune.DecodeFromUtf16(email, out var first, out var firstLength) != System.Buffers.OperationStatus.Done
            || firstLength >= at
            || Rune.IsWhiteSpace(first)
            || Rune.IsControl(first))
        {
            return string.Concat(Masked, domain);
        }

        return string.Concat(email.AsSpan(0, firstLength), Masked, domain);
    }
}
