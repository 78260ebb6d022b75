using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SmartLead.Gateway.Logging;

/// <summary>
/// Makes a body safe to log: JSON is re-written with secret fields' values (and any field named like
/// <c>api_key</c>) replaced by <c>***</c>, key parameters inside string values masked, and every email address
/// masked (<c>a***@example.com</c>), wherever it stands. Redaction runs on the decoded values, not on their escaped
/// text. The input may be cut short (bodies are logged up to
/// a limit): what parses is written and the rest is marked as cut. Anything that is not JSON is never printed.
/// </summary>
internal static partial class SensitiveJson
{
    public static readonly IReadOnlyList<string> BuiltInSecretFields =
        ["password", "token", "access_token", "refresh_token", "api_key", "apikey", "api-key", "smtp_password", "imap_password"];

    // Deliberately loose: anything shaped like local@domain.tld is masked, valid or not. The local part stops at
    // "=", "?" and "&" so an address in a query string (email=alice@...) is masked from its first character.
    [GeneratedRegex(@"[^\s@""'<>,;:()\[\]{}\\/=?&]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
        RegexOptions.CultureInvariant)]
    private static partial Regex EmailAddress();

    /// <summary>True when the text holds something shaped like an email address.</summary>
    public static bool ContainsEmail(string? text) =>
        text is not null && text.Contains('@', StringComparison.Ordinal) && EmailAddress().IsMatch(text);

    /// <summary><c>alice@example.com</c> → <c>a***@example.com</c>, for every address in the text.</summary>
    public static string MaskEmails(string text) =>
        text.Contains('@', StringComparison.Ordinal)
            ? EmailAddress().Replace(text, m => EmailMask.Mask(m.Value))
            : text;

    /// <summary>The masked JSON text, or null when the bytes are not JSON (the caller logs length and type instead).</summary>
    public static string? Mask(ReadOnlySpan<byte> json, bool truncated, IReadOnlySet<string> secretFields)
    {
        var reader = new Utf8JsonReader(json, isFinalBlock: !truncated, state: new JsonReaderState(new JsonReaderOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
            MaxDepth = 64,
        }));
        var output = new ArrayBufferWriter<byte>(json.Length + 16);
        using (var writer = new Utf8JsonWriter(output, new JsonWriterOptions { SkipValidation = true }))
        {
            try
            {
                var maskNext = false;
                while (reader.Read())
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.PropertyName:
                            var name = reader.GetString()!;
                            writer.WritePropertyName(Clean(name));
                            maskNext = secretFields.Contains(name) || Credentials.ApiKeyQuery.IsKeyName(name);
                            continue;
                        case JsonTokenType.StartObject or JsonTokenType.StartArray when maskNext:
                            if (!reader.TrySkip())
                            {
                                writer.WriteStringValue(SecretRedactor.Mask);
                                writer.Flush();
                                return Cut(output);
                            }

                            writer.WriteStringValue(SecretRedactor.Mask);
                            break;
                        case JsonTokenType.StartObject:
                            writer.WriteStartObject();
                            break;
                        case JsonTokenType.EndObject:
                            writer.WriteEndObject();
                            break;
                        case JsonTokenType.StartArray:
                            writer.WriteStartArray();
                            break;
                        case JsonTokenType.EndArray:
                            writer.WriteEndArray();
                            break;
                        case var _ when maskNext:
                            writer.WriteStringValue(SecretRedactor.Mask);
                            break;
                        case JsonTokenType.String:
                            writer.WriteStringValue(Clean(reader.GetString()!));
                            break;
                        case JsonTokenType.Number:
                            writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                            break;
                        case JsonTokenType.True or JsonTokenType.False:
                            writer.WriteBooleanValue(reader.GetBoolean());
                            break;
                        case JsonTokenType.Null:
                            writer.WriteNullValue();
                            break;
                    }

                    maskNext = false;
                }
            }
            catch (JsonException)
            {
                return null;
            }
            catch (InvalidOperationException)
            {
                return null;
            }

            writer.Flush();
        }

        var text = Encoding.UTF8.GetString(output.WrittenSpan);
        return truncated ? text + "…(cut)" : text;
    }

    /// <summary>
    /// One decoded value made safe: key parameters (<c>api_key=</c> in a URL) and emails are masked on the value itself,
    /// before the writer re-escapes it (<c>&amp;</c> becomes <c>\u0026</c>, where no text rule would find the name).
    /// </summary>
    private static string Clean(string value) => MaskEmails(SecretRedactor.RedactKeyParameters(value));

    private static string Cut(ArrayBufferWriter<byte> output) => Encoding.UTF8.GetString(output.WrittenSpan) + "…(cut)";
}
