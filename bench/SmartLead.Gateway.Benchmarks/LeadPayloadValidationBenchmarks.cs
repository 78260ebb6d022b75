using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using NJsonSchema;
using SmartLead.Gateway.LeadValidation;

namespace SmartLead.Gateway.Benchmarks;

/// <summary>
/// One realistic 400-lead import (all standard fields plus nested custom fields, about 180 KB) checked by the
/// gateway's streaming validator and, as the baseline, by NJsonSchema against the equivalent JSON Schema.
/// NJsonSchema gets the body already decoded to a string; the gateway starts from the raw bytes, as it does
/// in production.
/// </summary>
/// <remarks>Public and unsealed: the runner BenchmarkDotNet generates derives from it.</remarks>
[MemoryDiagnoser]
[ShortRunJob]
public class LeadPayloadValidationBenchmarks
{
    // What SmartLead asks of an import and the gateway enforces: an object with lead_list, at most 400 items,
    // each an object with an email string in address form of 254 characters at most.
    private const string Schema = """
        {
          "$schema": "http://json-schema.org/draft-07/schema#",
          "type": "object",
          "required": ["lead_list"],
          "properties": {
            "lead_list": {
              "type": "array",
              "maxItems": 400,
              "items": {
                "type": "object",
                "required": ["email"],
                "properties": {
                  "email": { "type": "string", "format": "email", "minLength": 3, "maxLength": 254 }
                }
              }
            }
          }
        }
        """;

    private byte[] _body = [];
    private string _text = string.Empty;
    private JsonSchema _schema = null!;

    [GlobalSetup]
    public void Setup()
    {
        var leads = new JsonArray();
        for (var i = 0; i < 400; i++)
        {
            leads.Add(new JsonObject
            {
                ["email"] = $"firstname.lastname{i}@company{i % 37}.example.com",
                ["first_name"] = $"Firstname{i}",
                ["last_name"] = $"Lastname{i}",
                ["company_name"] = $"Company {i % 37} Software GmbH",
                ["phone_number"] = $"+49 30 {1000000 + i}",
                ["website"] = $"https://www.company{i % 37}.example.com",
                ["location"] = "Berlin, Germany",
                ["linkedin_profile"] = $"https://www.linkedin.com/in/firstname-lastname-{i}",
                ["custom_fields"] = new JsonObject
                {
                    ["industry"] = "B2B Software",
                    ["employees"] = 50 + i,
                    ["job_title"] = "Head of Sales Operations",
                    ["tags"] = new JsonArray("saas", "dach", "q4"),
                    ["last_contact"] = new JsonObject { ["channel"] = "linkedin", ["days_ago"] = i % 90 },
                },
            });
        }

        _text = new JsonObject
        {
            ["lead_list"] = leads,
            ["settings"] = new JsonObject
            {
                ["ignore_global_block_list"] = false,
                ["ignore_unsubscribe_list"] = false,
                ["ignore_duplicate_leads_in_other_campaign"] = true,
            },
        }.ToJsonString();
        _body = Encoding.UTF8.GetBytes(_text);
        _schema = JsonSchema.FromJsonAsync(Schema).GetAwaiter().GetResult();

        // Both sides must agree that the payload is valid, or the comparison means nothing.
        if (!LeadPayloadValidator.Validate(_body, LeadImportEndpoint.CampaignLeads, 400).IsValid || _schema.Validate(_text).Count != 0)
        {
            throw new InvalidOperationException("The benchmark payload must be valid for both validators.");
        }

        Console.WriteLine($"// Payload: 400 leads, {_body.Length} bytes");
    }

    [Benchmark(Baseline = true, Description = "NJsonSchema, 400 leads")]
    public int NJsonSchemaValidate() => _schema.Validate(_text).Count;

    [Benchmark(Description = "Gateway streaming check, 400 leads")]
    public bool GatewayValidate() => LeadPayloadValidator.Validate(_body, LeadImportEndpoint.CampaignLeads, 400).IsValid;

    /// <summary>
    /// The floor: Utf8JsonReader reading every token and doing nothing else. The check's cost above this line
    /// is what its own rules add.
    /// </summary>
    [Benchmark(Description = "Floor: bare Utf8JsonReader pass")]
    public int ReaderOnly()
    {
        var reader = new Utf8JsonReader(_body);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }
}
