using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using CsCheck;
using SmartLead.Gateway.LeadValidation;

namespace SmartLead.Gateway.Tests.LeadValidation;

/// <summary>
/// Random payloads against an independent oracle: System.Text.Json's document model plus a regular-expression
/// reading of the email rule. The generators draw from a small alphabet that holds every kind of character the
/// rule cares about, but the oracle itself knows the whole rule: mutated <c>\uXXXX</c> escapes reach any
/// character, and mutated bodies repeat property names.
/// </summary>
/// <remarks>
/// A failure message carries CsCheck's seed (<c>Set seed: "…" or -e CsCheck_Seed=…</c>); run the test with the
/// environment variable <c>CsCheck_Seed</c> set to it to replay that exact input first.
/// </remarks>
public sealed partial class LeadPayloadPropertyTests
{
    private const long Iterations = 3_000;

    // Letters, digits, atext symbols, dots, '@', whitespace (ASCII and not), a zero-width format character,
    // non-ASCII letters, and JSON's own specials so that escaping is exercised too.
    private const string EmailAlphabet = "abzAZ09._-+'!#@ \t\u00a0\u200b\u00e9\u4e2d\"\\,";
    private const string LabelAlphabet = "abz09-_\u00e9\u4e2d";

    private static readonly JsonSerializerOptions Escaped = new() { Encoder = JavaScriptEncoder.Default };
    private static readonly JsonSerializerOptions Raw = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Gen<string> Label = Gen.Frequency(
        (8, Gen.Char["abz09"].Array[1, 6].Select(c => new string(c))),
        (3, Gen.Char[LabelAlphabet].Array[0, 6].Select(c => new string(c))),
        (1, Gen.Int[60, 66].Select(n => new string('d', n))));

    private static readonly Gen<string> Email = Gen.Frequency(
        (8, Gen.Select(
            Gen.Frequency(
                (6, Gen.Char["abzAZ09._+'"].Array[1, 8].Select(c => new string(c))),
                (2, Gen.Char[EmailAlphabet].Array[0, 8].Select(c => new string(c))),
                (1, Gen.Int[62, 66].Select(n => new string('a', n)))),
            Label.Array[1, 4],
            (local, labels) => local + "@" + string.Join('.', labels))),
        (2, Gen.Char[EmailAlphabet].Array[0, 24].Select(c => new string(c))),
        (1, Gen.Select(Label.Array[4, 5], labels => "a@" + string.Join('.', labels) + ".com")));

    private static readonly Gen<Func<JsonNode?>> EmailValue = Gen.Frequency(
        (12, Email.Select(e => (Func<JsonNode?>)(() => JsonValue.Create(e)))),
        (1, Gen.Bool.Select(_ => (Func<JsonNode?>)(() => null))),
        (1, Gen.Int.Select(n => (Func<JsonNode?>)(() => JsonValue.Create(n)))),
        (1, Email.Select(e => (Func<JsonNode?>)(() => new JsonObject { ["email"] = e }))),
        (1, Email.Select(e => (Func<JsonNode?>)(() => new JsonArray(e)))));

    // A lead is built fresh at use: a JSON node can have one parent only.
    private static readonly Gen<Func<JsonNode?>> Lead = Gen.Frequency(
        (20, Gen.Select(Gen.Bool, EmailValue, Gen.Bool, Email, (hasEmail, email, hasCustom, other) => (Func<JsonNode?>)(() =>
        {
            var lead = new JsonObject { ["first_name"] = "Ann" };
            if (hasCustom)
            {
                lead["custom_fields"] = new JsonObject { ["email"] = other, ["n"] = new JsonArray(1, 2) };
            }

            if (hasEmail)
            {
                lead["email"] = email();
            }

            return lead;
        }))),
        (1, Email.Select(e => (Func<JsonNode?>)(() => JsonValue.Create(e)))),
        (1, Gen.Bool.Select(_ => (Func<JsonNode?>)(() => null))),
        (1, Gen.Bool.Select(_ => (Func<JsonNode?>)(() => new JsonArray()))));

    private static readonly Gen<(JsonObject Root, int MaxLeads, bool Raw)> Payload = Gen.Select(
        Lead.Array[0, 7],
        Gen.Frequency((20, Gen.Const("lead_list")), (2, Gen.Const("leadList")), (2, Gen.Const("leads")), (1, Gen.Const("lead_list_x"))),
        Gen.Frequency((20, Gen.Const(true)), (1, Gen.Const(false))),
        Gen.Int[1, 6],
        Gen.Bool,
        (leads, name, asArray, maxLeads, raw) =>
        {
            var list = new JsonArray();
            foreach (var lead in leads)
            {
                list.Add(lead());
            }

            JsonNode? value = asArray ? list : new JsonObject { ["leads"] = list };
            var root = new JsonObject { ["settings"] = new JsonObject { ["lead_list"] = 1 }, [name] = value };
            return (root, maxLeads, raw);
        });

    [Fact]
    public void EmailRule_RandomAddresses_AgreeWithTheRegexOracle()
    {
        Email.Sample(email => Assert.Equal(OracleEmail(email), EmailRule.IsValid(email)), iter: Iterations * 3);
    }

    [Fact]
    public void LeadImport_RandomPayloads_AreAcceptedExactlyWhenEveryLeadHasAValidEmail()
    {
        Payload.Sample(
            p =>
            {
                var bytes = Encoding.UTF8.GetBytes(p.Root.ToJsonString(p.Raw ? Raw : Escaped));
                var result = LeadPayloadValidator.Validate(bytes, LeadImportEndpoint.CampaignLeads, p.MaxLeads);

                Assert.Equal(OraclePayload(bytes, p.MaxLeads), result.IsValid);
                if (!result.IsValid)
                {
                    Assert.NotEmpty(result.Errors);
                    Assert.NotNull(result.Field);
                }
            },
            iter: Iterations,
            print: p => p.Root.ToJsonString(Raw) + " max " + p.MaxLeads);
    }

    [Fact]
    public void LeadImport_MutatedPayloads_NeverCrashAndNeverLetABadLeadThrough()
    {
        var mutated = Gen.Select(Payload, Gen.Int.Array[1, 4], Gen.Byte["{}[]\":,\\u0@. a\u00e9"u8.ToArray().Min(), 0xFF].Array[1, 4],
            (p, positions, bytes) =>
            {
                var body = new List<byte>(Encoding.UTF8.GetBytes(p.Root.ToJsonString(p.Raw ? Raw : Escaped)));
                for (var i = 0; i < positions.Length; i++)
                {
                    var at = (int)((uint)positions[i] % (uint)(body.Count + 1));
                    switch ((uint)positions[i] % 3)
                    {
                        case 0 when at < body.Count:
                            body.RemoveAt(at);
                            break;
                        case 1 when at < body.Count:
                            body[at] = bytes[i % bytes.Length];
                            break;
                        default:
                            body.Insert(at, bytes[i % bytes.Length]);
                            break;
                    }
                }

                return (Body: body.ToArray(), p.MaxLeads);
            });

        mutated.Sample(
            m =>
            {
                var result = LeadPayloadValidator.Validate(m.Body, LeadImportEndpoint.CampaignLeads, m.MaxLeads);
                if (result.IsValid)
                {
                    // Accepted means: real JSON, and every lead has a valid email.
                    Assert.True(OraclePayload(m.Body, m.MaxLeads));
                }
                else
                {
                    Assert.False(string.IsNullOrEmpty(result.Message));
                    Assert.NotNull(result.Constraint);
                }
            },
            iter: Iterations,
            print: m => Convert.ToHexString(m.Body) + " max " + m.MaxLeads);
    }

    [Fact]
    public void LeadImport_RandomBytes_NeverCrash()
    {
        Gen.Byte.Array[0, 300].Sample(
            bytes =>
            {
                var result = LeadPayloadValidator.Validate(bytes, LeadImportEndpoint.LeadListImport, 400);
                Assert.Equal(result.IsValid, result.Constraint is null);
            },
            iter: Iterations);
    }

    [Fact]
    public void LeadImport_RandomJsonishText_NeverCrashes()
    {
        Gen.Char["{}[]\":,\\ul0@. ae\u00e9tr"].Array[0, 120].Sample(
            chars =>
            {
                var result = LeadPayloadValidator.Validate(Encoding.UTF8.GetBytes(chars), LeadImportEndpoint.CampaignLeads, 400);
                Assert.Equal(result.IsValid, result.Constraint is null);
            },
            iter: Iterations);
    }

    /// <summary>
    /// The documented rules over a parsed document. A name may repeat (JSON allows it, and mutations make it
    /// happen): SmartLead keeps one of the values and nobody in between can know which, so a body is good only
    /// if it is good whichever it keeps, that is, if every value under the name is good. Throws when the body is
    /// not JSON, which fails the property: an accepted body must be JSON.
    /// </summary>
    private static bool OraclePayload(byte[] body, int maxLeads)
    {
        // RFC 8259 lets a parser ignore a leading BOM; JsonDocument.Parse over bytes does not skip it itself.
        var json = body.AsMemory();
        if (json.Span.StartsWith("\uFEFF"u8))
        {
            json = json[3..];
        }

        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        // Any accepted name carries leads, and every array under any of them must pass.
        List<JsonElement> lists = [.. ValuesNamed(root, "lead_list"), .. ValuesNamed(root, "leadList"), .. ValuesNamed(root, "leads")];
        return lists.Count > 0
            && lists.All(list =>
                list.ValueKind == JsonValueKind.Array
                && list.GetArrayLength() is > 0 and var count && count <= maxLeads
                && list.EnumerateArray().All(OracleLead));
    }

    private static bool OracleLead(JsonElement lead)
    {
        if (lead.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        var emails = ValuesNamed(lead, "email");
        return emails.Count > 0 && emails.All(email => email.ValueKind == JsonValueKind.String && OracleEmail(email));
    }

    private static List<JsonElement> ValuesNamed(JsonElement obj, string name) =>
        [.. obj.EnumerateObject().Where(p => p.NameEquals(name)).Select(p => p.Value)];

    private static bool OracleEmail(JsonElement email)
    {
        string text;
        try
        {
            text = email.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // An escaped lone surrogate: legal JSON, but no text, so no address.
            return false;
        }

        return OracleEmail(text);
    }

    private static bool OracleEmail(string email)
    {
        var parts = email.Split('@');
        if (parts.Length != 2 || !NonAsciiIsPrintable(email) || Encoding.UTF8.GetByteCount(email) > 254)
        {
            return false;
        }

        var localBytes = Encoding.UTF8.GetByteCount(parts[0]);
        var labels = parts[1].Split('.');
        return localBytes is >= 1 and <= 64
            && LocalPart().IsMatch(parts[0])
            && labels.Length >= 2
            && labels.All(l => Encoding.UTF8.GetByteCount(l) <= 63 && DomainLabel().IsMatch(l))
            && !AllDigits().IsMatch(labels[^1]);
    }

    /// <summary>
    /// The rule's part for characters beyond ASCII, which the regular expressions let through as a class: none
    /// may be whitespace, a control, format or private-use character, unassigned, U+FFFD, or a lone surrogate.
    /// </summary>
    private static bool NonAsciiIsPrintable(string email)
    {
        for (var i = 0; i < email.Length;)
        {
            if (Rune.DecodeFromUtf16(email.AsSpan(i), out var rune, out var used) != OperationStatus.Done)
            {
                return false;
            }

            i += used;
            if (!rune.IsAscii
                && (rune == Rune.ReplacementChar
                    || Rune.GetUnicodeCategory(rune) is UnicodeCategory.SpaceSeparator or UnicodeCategory.LineSeparator
                        or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Control or UnicodeCategory.Format
                        or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned))
            {
                return false;
            }
        }

        return true;
    }

    // Beyond ASCII, any UTF-16 unit here; NonAsciiIsPrintable decides which characters may stand there.
    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\u0080-\uFFFF]+(\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\\-\u0080-\uFFFF]+)*$")]
    private static partial Regex LocalPart();

    [GeneratedRegex("^[A-Za-z0-9\u0080-\uFFFF]([A-Za-z0-9\u0080-\uFFFF-]*[A-Za-z0-9\u0080-\uFFFF])?$")]
    private static partial Regex DomainLabel();

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex AllDigits();
}
