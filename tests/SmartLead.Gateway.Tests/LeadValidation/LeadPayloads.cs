using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SmartLead.Gateway.Tests.LeadValidation;

/// <summary>Builds lead import bodies the way a real caller would, custom fields included.</summary>
internal static class LeadPayloads
{
    public static JsonObject Lead(int i, string? email = null) => new()
    {
        ["email"] = email ?? $"lead{i}@example.com",
        ["first_name"] = $"First{i}",
        ["last_name"] = $"Last{i}",
        ["company_name"] = $"Company {i} GmbH",
        ["phone_number"] = "+49 30 1234567",
        ["website"] = $"https://company{i}.example.com",
        ["location"] = "Berlin, Germany",
        ["custom_fields"] = new JsonObject
        {
            ["industry"] = "Software",
            ["employees"] = 120 + i,
            ["tags"] = new JsonArray("saas", "b2b"),
            ["source"] = new JsonObject { ["campaign"] = "autumn", ["score"] = 0.87 },
        },
    };

    public static string CampaignImport(int count, Func<int, JsonNode?>? lead = null)
    {
        var list = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            list.Add(lead is null ? Lead(i) : lead(i));
        }

        return new JsonObject
        {
            ["lead_list"] = list,
            ["settings"] = new JsonObject
            {
                ["ignore_global_block_list"] = false,
                ["ignore_unsubscribe_list"] = false,
                ["ignore_duplicate_leads_in_other_campaign"] = true,
            },
        }.ToJsonString();
    }

    public static string LeadListImport(int count)
    {
        var list = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            list.Add(Lead(i));
        }

        return new JsonObject { ["leadList"] = list, ["fileName"] = "autumn.csv" }.ToJsonString();
    }

    public static byte[] Utf8(string json) => Encoding.UTF8.GetBytes(json);

    public static string Serialize(object? details) => JsonSerializer.Serialize(details);
}
