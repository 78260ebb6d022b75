using System.Text;
using System.Text.Json.Nodes;
using SmartLead.Gateway.LeadValidation;
using static SmartLead.Gateway.Tests.LeadValidation.LeadPayloads;

namespace SmartLead.Gateway.Tests.LeadValidation;

public sealed class LeadPayloadValidatorTests
{
    private static LeadValidationResult Check(string json, int maxLeads = 400) =>
        LeadPayloadValidator.Validate(Utf8(json), LeadImportEndpoint.CampaignLeads, maxLeads);

    private static LeadValidationResult Check(byte[] body, int maxLeads = 400) =>
        LeadPayloadValidator.Validate(body, LeadImportEndpoint.CampaignLeads, maxLeads);

    [Fact]
    public void LeadImport_400ValidLeads_IsAccepted()
    {
        var result = Check(CampaignImport(400));

        Assert.True(result.IsValid, result.Message);
        Assert.Equal(400, result.LeadCount);
    }

    [Fact]
    public void LeadImport_401Leads_IsRefusedWithMaxItems()
    {
        var result = Check(CampaignImport(401));

        Assert.False(result.IsValid);
        Assert.Equal("lead_list has 401 leads; at most 400 are allowed per request", result.Message);
        Assert.Equal("lead_list", result.Field);
        Assert.Equal(LeadConstraint.MaxItems, result.Constraint);
        var details = result.ToDetails();
        Assert.Equal(400, details.Maximum);
        Assert.Equal(401, details.Count);
    }

    [Fact]
    public void LeadImport_MaxLeadsFromOptions_IsTheLimit()
    {
        Assert.True(Check(CampaignImport(3), maxLeads: 3).IsValid);

        var result = Check(CampaignImport(4), maxLeads: 3);

        Assert.Equal("lead_list has 4 leads; at most 3 are allowed per request", result.Message);
    }

    [Fact]
    public void LeadImport_TooManyLeadsAndBadEmails_ListsTheLengthFirstThenEveryBadLead()
    {
        var result = Check(CampaignImport(5, i => Lead(i, i == 1 ? "not-an-email" : null)), maxLeads: 4);

        Assert.Equal(LeadConstraint.MaxItems, result.Constraint);
        Assert.Equal(
            new LeadFieldError[] { new("lead_list", LeadConstraint.MaxItems), new("lead_list[1].email", LeadConstraint.Format) },
            result.Errors);
        Assert.StartsWith("lead_list has 5 leads; at most 4 are allowed per request (2 problems", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeadImport_EmptyLeadArray_IsRefusedAsMinItems()
    {
        var result = Check("""{"lead_list":[]}""");

        Assert.False(result.IsValid);
        Assert.Equal("lead_list", result.Field);
        Assert.Equal(LeadConstraint.MinItems, result.Constraint);
        Assert.Equal("lead_list must contain at least 1 lead", result.Message);
    }

    [Theory]
    [InlineData("lead_list")]
    [InlineData("leadList")]
    [InlineData("leads")]
    public void BothImports_AnyAcceptedArrayName_IsCheckedByEveryRule(string name)
    {
        var body = Utf8($$"""{"{{name}}":[{"email":"a@example.com"},{"first_name":"No email"}]}""");
        foreach (var endpoint in new[] { LeadImportEndpoint.CampaignLeads, LeadImportEndpoint.LeadListImport })
        {
            var valid = LeadPayloadValidator.Validate(Utf8($$"""{"{{name}}":[{"email":"a@example.com"}]}"""), endpoint, 400);
            var refused = LeadPayloadValidator.Validate(body, endpoint, 400);
            var tooMany = LeadPayloadValidator.Validate(body, endpoint, 1);

            Assert.True(valid.IsValid, valid.Message);
            Assert.Equal($"{name}[1].email", refused.Field);
            Assert.Equal(LeadConstraint.Required, refused.Constraint);
            Assert.Equal(name, tooMany.Field);
            Assert.Equal(LeadConstraint.MaxItems, tooMany.Constraint);
        }
    }

    [Fact]
    public void LeadListImport_NoAcceptedArrayName_NamesTheDocumentedOne()
    {
        var result = LeadPayloadValidator.Validate(Utf8("""{"lead_items":[{"email":"a@example.com"}]}"""), LeadImportEndpoint.LeadListImport, 400);

        Assert.False(result.IsValid);
        Assert.Equal("leadList", result.Field);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
        Assert.Equal("leadList is required: the leads go in an array named leadList", result.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\r\n\t ")]
    public void LeadImport_EmptyBody_IsRefusedAsRequired(string body)
    {
        var result = Check(body);

        Assert.False(result.IsValid);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
        Assert.Null(result.Field);
        Assert.Contains("empty", result.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"lead_list":[}""")]
    [InlineData("""{"lead_list":[{"email":"a@example.com"},]}""")]
    [InlineData("""{"lead_list":[{"email":"a@example.com"}]} trailing""")]
    [InlineData("""{"lead_list":[]}{"lead_list":[]}""")]
    [InlineData("""{"lead_list":[] /* comment */}""")]
    [InlineData("""{'lead_list':[]}""")]
    [InlineData("""{"lead_list":[{"email":"a@example.com"}], "settings": {"x": tru}}""")]
    [InlineData("lead_list=1")]
    public void LeadImport_NotJson_IsRefusedWithJson(string body)
    {
        var result = Check(body);

        Assert.False(result.IsValid);
        Assert.Equal(LeadConstraint.Json, result.Constraint);
        Assert.StartsWith("request body is not valid JSON (line ", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LeadImport_InvalidJsonAfterValidLeads_IsRefused()
    {
        // The whole body is read: a broken tail must not slip through behind good leads.
        var json = CampaignImport(3);
        var result = Check(json[..^1]);

        Assert.Equal(LeadConstraint.Json, result.Constraint);
    }

    public static TheoryData<byte[]> NotUtf8Bodies => new()
    {
        // A lone continuation byte inside an email.
        Concat("{\"lead_list\":[{\"email\":\"a"u8, [0x80], "@example.com\"}]}"u8),
        // Inside a field the check does not otherwise look at.
        Concat("{\"lead_list\":[{\"email\":\"a@example.com\",\"first_name\":\""u8, [0xC3, 0x28], "\"}]}"u8),
        // An overlong encoding of '/' and a UTF-16 surrogate encoded as UTF-8.
        Concat("{\"lead_list\":[],\"x\":\""u8, [0xC0, 0xAF], "\"}"u8),
        Concat("{\"lead_list\":[],\"x\":\""u8, [0xED, 0xA0, 0x80], "\"}"u8),
        // Latin-1, as a careless client would send it.
        Concat("{\"lead_list\":[{\"email\":\"j"u8, [0xFC], "rgen@example.com\"}]}"u8),
        // Outside any string.
        Concat("""{"lead_list":[]}"""u8, [0xFF]),
    };

    [Theory]
    [MemberData(nameof(NotUtf8Bodies))]
    public void LeadImport_NotUtf8_IsRefusedWithEncoding(byte[] body)
    {
        var result = Check(body);

        Assert.False(result.IsValid);
        Assert.Equal(LeadConstraint.Encoding, result.Constraint);
    }

    [Fact]
    public void LeadImport_LeadingUtf8Bom_IsIgnored()
    {
        var result = Check(Concat([0xEF, 0xBB, 0xBF], Utf8(CampaignImport(2))));

        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void LeadImport_BomOnly_IsRefusedAsEmpty()
    {
        Assert.Equal(LeadConstraint.Required, Check([0xEF, 0xBB, 0xBF]).Constraint);
    }

    [Fact]
    public void LeadImport_Utf16Body_IsRefused()
    {
        var result = Check(Encoding.Unicode.GetBytes(CampaignImport(1)));

        Assert.False(result.IsValid);
    }

    [Fact]
    public void LeadImport_NestingDeeperThanTheMaximum_IsRefusedWithMaxDepth()
    {
        // Root (1), lead_list (2), lead (3), then custom_fields opens as many levels as reach one past the maximum.
        var extra = LeadPayloadValidator.MaxDepth - 2;
        var deep = new string('[', extra) + new string(']', extra);
        var result = Check($$"""{"lead_list":[{"email":"a@example.com","custom_fields":{{deep}}}]}""");

        Assert.False(result.IsValid);
        Assert.Equal(LeadConstraint.MaxDepth, result.Constraint);
    }

    [Fact]
    public void LeadImport_NestingAtTheMaximum_IsAccepted()
    {
        var extra = LeadPayloadValidator.MaxDepth - 3;
        var deep = new string('[', extra) + new string(']', extra);
        var result = Check($$"""{"lead_list":[{"email":"a@example.com","custom_fields":{{deep}}}]}""");

        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void LeadImport_DeepNestingOutsideTheLeads_IsRefusedWithMaxDepth()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var result = Check($$"""{"lead_list":[],"settings":{{deep}}}""");

        Assert.Equal(LeadConstraint.MaxDepth, result.Constraint);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("""[{"lead_list":[]}]""")]
    [InlineData("\"lead_list\"")]
    [InlineData("42")]
    [InlineData("null")]
    [InlineData("true")]
    public void LeadImport_BodyNotAnObject_IsRefusedWithType(string body)
    {
        var result = Check(body);

        Assert.Equal(LeadConstraint.Type, result.Constraint);
        Assert.Equal("request body must be a JSON object", result.Message);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"settings":{"lead_list":[]}}""")]
    [InlineData("""{"Lead_List":[]}""")]
    [InlineData("""{"lead_lists":[]}""")]
    public void LeadImport_LeadArrayMissing_IsRefusedAsRequired(string body)
    {
        var result = Check(body);

        Assert.Equal("lead_list", result.Field);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
    }

    [Theory]
    [InlineData("""{"lead_list":{}}""")]
    [InlineData("""{"lead_list":"a@example.com"}""")]
    [InlineData("""{"lead_list":null}""")]
    [InlineData("""{"lead_list":400}""")]
    public void LeadImport_LeadArrayNotAnArray_IsRefusedWithType(string body)
    {
        var result = Check(body);

        Assert.Equal("lead_list", result.Field);
        Assert.Equal(LeadConstraint.Type, result.Constraint);
        Assert.Equal("lead_list must be an array of leads", result.Message);
    }

    [Theory]
    [InlineData("\"a@example.com\"")]
    [InlineData("null")]
    [InlineData("7")]
    [InlineData("""[{"email":"a@example.com"}]""")]
    public void LeadImport_LeadNotAnObject_IsRefusedWithType(string item)
    {
        var result = Check($$"""{"lead_list":[{"email":"a@example.com"},{{item}}]}""");

        Assert.Equal("lead_list[1]", result.Field);
        Assert.Equal(LeadConstraint.Type, result.Constraint);
        Assert.Equal("lead_list[1] must be an object", result.Message);
    }

    [Fact]
    public void LeadImport_LeadWithoutEmail_IsRefusedAsRequired()
    {
        var result = Check(CampaignImport(3, i => i == 2 ? new JsonObject { ["first_name"] = "Ann" } : Lead(i)));

        Assert.Equal("lead_list[2].email", result.Field);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
        Assert.Equal("lead_list[2].email is required: every lead needs a valid email", result.Message);
    }

    [Fact]
    public void LeadImport_EmptyLeadObject_IsRefusedAsRequired()
    {
        var result = Check("""{"lead_list":[{}]}""");

        Assert.Equal("lead_list[0].email", result.Field);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
    }

    [Theory]
    [InlineData("null", LeadConstraint.Required)]
    [InlineData("\"\"", LeadConstraint.Required)]
    [InlineData("\"   \"", LeadConstraint.Required)]
    [InlineData("\"\\t\"", LeadConstraint.Required)]
    [InlineData("42", LeadConstraint.Type)]
    [InlineData("true", LeadConstraint.Type)]
    [InlineData("""{"address":"a@example.com"}""", LeadConstraint.Type)]
    [InlineData("""["a@example.com"]""", LeadConstraint.Type)]
    [InlineData("\"not-an-email\"", LeadConstraint.Format)]
    [InlineData("\"a@b\"", LeadConstraint.Format)]
    [InlineData("\"a b@example.com\"", LeadConstraint.Format)]
    [InlineData("\" a@example.com\"", LeadConstraint.Format)]
    [InlineData("\"a@@example.com\"", LeadConstraint.Format)]
    public void LeadImport_BadEmailValue_IsRefusedWithItsConstraint(string email, string constraint)
    {
        var result = Check($$"""{"lead_list":[{"email":"ok@example.com"},{"email":{{email}}}]}""");

        Assert.False(result.IsValid);
        Assert.Equal("lead_list[1].email", result.Field);
        Assert.Equal(constraint, result.Constraint);
        Assert.Equal(new[] { new LeadFieldError("lead_list[1].email", constraint) }, result.Errors);
    }

    [Fact]
    public void LeadImport_EmailLongerThan254_IsRefusedWithFormat()
    {
        var email = "a@" + string.Join('.', Enumerable.Repeat(new string('d', 60), 5)) + ".com";
        Assert.True(email.Length > 254);

        Assert.Equal(LeadConstraint.Format, Check(CampaignImport(1, _ => Lead(0, email))).Constraint);
    }

    [Fact]
    public void LeadImport_ManyBadLeads_ListsEveryOffendingLeadInOrder()
    {
        var result = Check(CampaignImport(6, i => i switch
        {
            1 => Lead(i, "broken"),
            3 => new JsonObject { ["first_name"] = "x" },
            4 => JsonValue.Create(5),
            _ => Lead(i),
        }));

        Assert.Equal(
            new LeadFieldError[]
            {
                new("lead_list[1].email", LeadConstraint.Format),
                new("lead_list[3].email", LeadConstraint.Required),
                new("lead_list[4]", LeadConstraint.Type),
            },
            result.Errors);
        Assert.Equal(3, result.ErrorCount);
        Assert.Equal("lead_list[1].email is not a valid email address (3 problems in all, listed in details.errors)", result.Message);
    }

    [Fact]
    public void LeadImport_MoreThan100BadLeads_ListsTheFirst100AndCountsAll()
    {
        var result = Check(CampaignImport(150, i => Lead(i, "nope")));

        Assert.Equal(LeadPayloadValidator.MaxReportedErrors, result.Errors.Count);
        Assert.Equal(150, result.ErrorCount);
        Assert.Equal("lead_list[99].email", result.Errors[^1].Field);
        Assert.Equal(150, result.ToDetails().ErrorCount);
    }

    [Fact]
    public void LeadImport_EscapedNames_AreRecognised()
    {
        var valid = Check("""{"lead\u005flist":[{"em\u0061il":"a@example.com"}]}""");
        var invalid = Check("""{"lead\u005flist":[{"em\u0061il":"nope"}]}""");

        Assert.True(valid.IsValid, valid.Message);
        Assert.Equal(LeadConstraint.Format, invalid.Constraint);
    }

    [Theory]
    [InlineData("""a\u0040example.com""", true)]
    [InlineData("""\u0061@example.com""", true)]
    [InlineData("""j\u00fcrgen@example.com""", true)]
    [InlineData("""AaZZ\u0027@b99.\u4ED9""", true)]
    [InlineData("""a\u0020b@example.com""", false)]
    [InlineData("""a@example.com\u0000""", false)]
    [InlineData("""a\ud800@example.com""", false)]
    [InlineData("""\u00a0a@example.com""", false)]
    public void LeadImport_EscapedEmail_IsCheckedUnescaped(string escaped, bool valid)
    {
        var result = Check($$"""{"lead_list":[{"email":"{{escaped}}"}]}""");

        Assert.Equal(valid, result.IsValid);
    }

    [Fact]
    public void LeadImport_DuplicateEmailKeys_EveryValueIsChecked()
    {
        Assert.Equal(LeadConstraint.Format, Check("""{"lead_list":[{"email":"a@example.com","email":"nope"}]}""").Constraint);
        Assert.Equal(LeadConstraint.Format, Check("""{"lead_list":[{"email":"nope","email":"a@example.com"}]}""").Constraint);
    }

    [Fact]
    public void LeadImport_RepeatedOtherPropertyInALead_IsAccepted()
    {
        // Only the email is judged; a repeated ordinary name is legal JSON and no reason to refuse.
        var result = Check("""{"lead_list":[{"first_name":"Ann","first_name":"Ann","email":"a@example.com"}]}""");

        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void LeadImport_DuplicateLeadArrays_EveryArrayIsChecked()
    {
        var result = Check("""{"lead_list":[{"email":"a@example.com"}],"lead_list":[{"email":"nope"}]}""");

        Assert.Equal("lead_list[0].email", result.Field);
        Assert.Equal(LeadConstraint.Format, result.Constraint);
    }

    [Fact]
    public void LeadImport_EmailOnlyInsideCustomFields_IsRefusedAsRequired()
    {
        var result = Check("""{"lead_list":[{"custom_fields":{"email":"a@example.com"}}]}""");

        Assert.Equal("lead_list[0].email", result.Field);
        Assert.Equal(LeadConstraint.Required, result.Constraint);
    }

    [Fact]
    public void LeadImport_OtherPropertiesAnywhere_AreIgnored()
    {
        var result = Check("""
            {"settings":{"lead_list":"x","email":1},"lead_list":[{"custom_fields":[{"email":null}],"email":"a@example.com","x":[[{}]]}],"fileName":null}
            """);

        Assert.True(result.IsValid, result.Message);
    }

    [Fact]
    public void LeadImport_Refusals_NeverEchoBodyContent()
    {
        const string Secret = "ceo.private";
        var bodies = new[]
        {
            $$"""{"lead_list":[{"email":"{{Secret}}@victim.example"},{"email":"{{Secret}} bad"}]}""",
            $$"""{"lead_list":[{"email":"{{Secret}}"}]} {{Secret}}""",
            $$"""{"lead_list":[{"{{Secret}}":1}], "{{Secret}}": {{Secret}}}""",
            $$"""{{Secret}}""",
            $$"""["{{Secret}}"]""",
        };

        foreach (var body in bodies)
        {
            var result = Check(body);
            Assert.False(result.IsValid);
            Assert.DoesNotContain(Secret, result.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(Secret, Serialize(result.ToDetails()), StringComparison.Ordinal);
        }
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => [.. a, .. b];

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c) => [.. a, .. b, .. c];
}
