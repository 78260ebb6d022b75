using System.Text.Json;
using Microsoft.AspNetCore.Http;
using SmartLead.Sandbox.Store;

namespace SmartLead.Sandbox.Endpoints;

/// <summary>
/// Reads a lead list the way SmartLead validates one: a refused payload names the first offending field
/// (<c>lead_list[2].email</c>) and nothing from it is imported.
/// </summary>
internal static class LeadPayload
{
    /// <summary>SmartLead's cap on leads per add-leads request.</summary>
    public const int MaxLeadsPerRequest = 400;

    private static readonly string[] AcceptedListProperties = ["lead_list", "leadList", "leads"];

    private static readonly string[] OptionalTextFields =
        ["first_name", "last_name", "company_name", "phone_number", "website", "location"];

    public static bool TryRead(
        JsonElement root, string listProperty, int? maxLeads, out List<LeadInput> leads, out IResult? error)
    {
        leads = [];
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = SandboxJson.Validation("Request body must be a JSON object", "body", "type");
            return false;
        }

        // Clients send the leads under any of these names (one CLI sends "leads" to the lead-list import); the
        // gateway checks whichever is there, and so does the sandbox, naming the documented one when none is.
        JsonElement list = default;
        var found = false;
        foreach (var name in (string[])[listProperty, .. AcceptedListProperties])
        {
            if (root.TryGetProperty(name, out list))
            {
                listProperty = name;
                found = true;
                break;
            }
        }

        if (!found || list.ValueKind == JsonValueKind.Null)
        {
            error = SandboxJson.Validation($"{listProperty} is required", listProperty, "required");
            return false;
        }

        if (list.ValueKind != JsonValueKind.Array)
        {
            error = SandboxJson.Validation($"{listProperty} must be an array", listProperty, "type");
            return false;
        }

        // An empty list is refused, by the gateway too: an import that adds nothing would still cost a request.
        var count = list.GetArrayLength();
        if (count == 0)
        {
            error = SandboxJson.Validation($"{listProperty} must contain at least 1 lead", listProperty, "minItems");
            return false;
        }

        if (count > maxLeads)
        {
            error = SandboxJson.Validation(
                $"{listProperty} must contain at most {maxLeads} leads, got {count}", listProperty, "maxItems");
            return false;
        }

        if (root.TryGetProperty("settings", out var settings)
            && settings.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            error = SandboxJson.Validation("settings must be an object", "settings", "type");
            return false;
        }

        var index = 0;
        foreach (var item in list.EnumerateArray())
        {
            if (!TryReadLead(item, $"{listProperty}[{index}]", listProperty, out var lead, out error))
            {
                return false;
            }

            leads.Add(lead);
            index++;
        }

        return true;
    }

    private static bool TryReadLead(JsonElement item, string path, string listProperty, out LeadInput lead, out IResult? error)
    {
        lead = null!;
        error = null;
        if (item.ValueKind != JsonValueKind.Object)
        {
            error = SandboxJson.Validation($"{path} must be an object", path, "type");
            return false;
        }

        if (!item.TryGetProperty("email", out var email)
            || email.ValueKind == JsonValueKind.Null
            || (email.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(email.GetString())))
        {
            error = SandboxJson.Validation(
                $"email field is required for all leads in {listProperty}", $"{path}.email", "required");
            return false;
        }

        if (email.ValueKind != JsonValueKind.String)
        {
            error = SandboxJson.Validation("email must be a string", $"{path}.email", "type");
            return false;
        }

        var text = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var field in OptionalTextFields)
        {
            if (!item.TryGetProperty(field, out var value))
            {
                continue;
            }

            switch (value.ValueKind)
            {
                case JsonValueKind.Null:
                    break;
                case JsonValueKind.String:
                    text[field] = value.GetString();
                    break;

                // Phone numbers arrive as JSON numbers from spreadsheets often enough that SmartLead takes them.
                case JsonValueKind.Number when field == "phone_number":
                    text[field] = value.GetRawText();
                    break;
                default:
                    error = SandboxJson.Validation($"{field} must be a string", $"{path}.{field}", "type");
                    return false;
            }
        }

        JsonElement? customFields = null;
        if (item.TryGetProperty("custom_fields", out var custom) && custom.ValueKind != JsonValueKind.Null)
        {
            if (custom.ValueKind != JsonValueKind.Object)
            {
                error = SandboxJson.Validation("custom_fields must be an object", $"{path}.custom_fields", "type");
                return false;
            }

            customFields = custom.Clone();
        }

        lead = new LeadInput(
            email.GetString()!,
            text.GetValueOrDefault("first_name"),
            text.GetValueOrDefault("last_name"),
            text.GetValueOrDefault("company_name"),
            text.GetValueOrDefault("phone_number"),
            text.GetValueOrDefault("website"),
            text.GetValueOrDefault("location"),
            customFields);
        return true;
    }
}
