using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace SmartLead.Gateway.LeadValidation;

/// <summary>
/// What the gateway accepts as a lead's email: one <c>@</c>; a local part of 1–64 octets in dot-atom form
/// (RFC 5322 atext, single dots inside); a domain of at least two labels of 1–63 octets made of letters, digits
/// and inner hyphens, whose last label is not all digits; 254 octets in all; no whitespace or control
/// characters anywhere. Non-ASCII letters are allowed (RFC 6531 addresses), and lengths count UTF-8 octets as
/// SMTP does. Quoted local parts and IP-literal domains are refused: no lead list needs them.
/// </summary>
/// <remarks>
/// Hand-written rather than a regular expression because it runs on the UTF-8 bytes of the request while the
/// JSON reader is positioned on them: no string is allocated for a valid address.
/// </remarks>
internal static class EmailRule
{
    public const int MaxLength = 254;
    public const int MaxLocalPartLength = 64;
    public const int MaxLabelLength = 63;

    private static readonly SearchValues<byte> AtextSymbols = SearchValues.Create("!#$%&'*+-/=?^_`{|}~"u8);

    public static bool IsValid(string? email)
    {
        if (string.IsNullOrEmpty(email) || email.Length > MaxLength)
        {
            return false;
        }

        Span<byte> utf8 = stackalloc byte[MaxLength * 3];
        // Lone surrogates have no UTF-8 form: such a string is no address.
        return Utf8.FromUtf16(email, utf8, out _, out var written, replaceInvalidSequences: false) == OperationStatus.Done
            && IsValid(utf8[..written]);
    }

    /// <summary>Checks an address given as UTF-8 (invalid UTF-8 is refused).</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty || utf8.Length > MaxLength)
        {
            return false;
        }

        var at = utf8.IndexOf((byte)'@');
        if (at < 1 || at > MaxLocalPartLength)
        {
            return false;
        }

        var domain = utf8[(at + 1)..];
        return domain.IndexOf((byte)'@') < 0 && IsValidLocalPart(utf8[..at]) && IsValidDomain(domain);
    }

    private static bool IsValidLocalPart(ReadOnlySpan<byte> local)
    {
        if (local[0] == '.' || local[^1] == '.')
        {
            return false;
        }

        var previousWasDot = false;
        for (var i = 0; i < local.Length;)
        {
            var b = local[i];
            if (b == '.')
            {
                if (previousWasDot)
                {
                    return false;
                }

                previousWasDot = true;
                i++;
                continue;
            }

            previousWasDot = false;
            if (b < 0x80)
            {
                if (!char.IsAsciiLetterOrDigit((char)b) && !AtextSymbols.Contains(b))
                {
                    return false;
                }

                i++;
            }
            else if (!TryConsumePrintableNonAscii(local, ref i))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsValidDomain(ReadOnlySpan<byte> domain)
    {
        var labels = 0;
        var lastLabelAllDigits = false;
        while (true)
        {
            var dot = domain.IndexOf((byte)'.');
            var label = dot < 0 ? domain : domain[..dot];
            if (!IsValidLabel(label, out lastLabelAllDigits))
            {
                return false;
            }

            labels++;
            if (dot < 0)
            {
                break;
            }

            domain = domain[(dot + 1)..];
        }

        return labels >= 2 && !lastLabelAllDigits;
    }

    private static bool IsValidLabel(ReadOnlySpan<byte> label, out bool allDigits)
    {
        allDigits = true;
        if (label.IsEmpty || label.Length > MaxLabelLength || label[0] == '-' || label[^1] == '-')
        {
            return false;
        }

        for (var i = 0; i < label.Length;)
        {
            var b = label[i];
            if (b < 0x80)
            {
                if (!char.IsAsciiDigit((char)b))
                {
                    allDigits = false;
                    if (!char.IsAsciiLetter((char)b) && b != '-')
                    {
                        return false;
                    }
                }

                i++;
            }
            else
            {
                allDigits = false;
                if (!TryConsumePrintableNonAscii(label, ref i))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// Decodes one non-ASCII character and accepts it unless it is whitespace (no-break space and its kin),
    /// a control or format character (zero-width ones included), private use, unassigned, the replacement
    /// character U+FFFD (the trace of a botched decoding somewhere upstream), or not UTF-8 at all.
    /// </summary>
    private static bool TryConsumePrintableNonAscii(ReadOnlySpan<byte> text, ref int index)
    {
        if (Rune.DecodeFromUtf8(text[index..], out var rune, out var consumed) != OperationStatus.Done)
        {
            return false;
        }

        index += consumed;
        if (rune == Rune.ReplacementChar)
        {
            return false;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator
                or UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.PrivateUse
                or UnicodeCategory.Surrogate or UnicodeCategory.OtherNotAssigned => false,
            _ => true,
        };
    }
}
