using System.Net;
using System.Text.Json;
using StChat.Chat.Accounts;
using StChat.Chat.Security;
using Xunit;

namespace StChat.Chat.Tests;

public sealed class UnitTests
{
    [Fact]
    public void The_token_bucket_allows_a_burst_then_the_refill_rate()
    {
        var bucket = new TokenBucket(ratePerSecond: 2, capacity: 3, start: TimeSpan.Zero);
        Assert.True(bucket.TryTake(TimeSpan.Zero));
        Assert.True(bucket.TryTake(TimeSpan.Zero));
        Assert.True(bucket.TryTake(TimeSpan.Zero));
        Assert.False(bucket.TryTake(TimeSpan.Zero));
        Assert.False(bucket.TryTake(TimeSpan.FromMilliseconds(400)));
        Assert.True(bucket.TryTake(TimeSpan.FromMilliseconds(500)));
        Assert.False(bucket.TryTake(TimeSpan.FromMilliseconds(500)));
        // Idle time fills the bucket only up to its capacity.
        Assert.True(bucket.TryTake(TimeSpan.FromSeconds(100)));
        Assert.True(bucket.TryTake(TimeSpan.FromSeconds(100)));
        Assert.True(bucket.TryTake(TimeSpan.FromSeconds(100)));
        Assert.False(bucket.TryTake(TimeSpan.FromSeconds(100)));
    }

    [Theory]
    [InlineData("  Ann  ", true, "Ann")]
    [InlineData("Zoë Ångström", true, "Zoë Ångström")]
    [InlineData("", false, "")]
    [InlineData("tab\there", false, "")]
    [InlineData("rtl\u202Eoverride", false, "")]
    public void A_name_is_trimmed_and_must_be_printable(string raw, bool valid, string expected)
    {
        Assert.Equal(valid, UserName.TryNormalize(raw, out var name, out var error));
        if (valid)
        {
            Assert.Equal(expected, name);
        }
        else
        {
            Assert.NotEmpty(error);
        }
    }

    [Fact]
    public void A_name_of_41_characters_is_too_long() =>
        Assert.False(UserName.TryNormalize(new string('a', 41), out _, out _));

    [Theory]
    [InlineData("lobby", true)]
    [InlineData("a-b_C9", true)]
    [InlineData("", false)]
    [InlineData("has space", false)]
    [InlineData("ünï", false)]
    public void Room_names_follow_the_documented_pattern(string room, bool valid) =>
        Assert.Equal(valid, RoomName.IsValid(room));

    // A [Fact], not a [Theory]: xunit would replace unpaired surrogates in InlineData with U+FFFD.
    [Fact]
    public void Text_with_NUL_or_an_unpaired_surrogate_cannot_be_stored()
    {
        Assert.True(StorableText.IsValid("plain"));
        Assert.True(StorableText.IsValid("emoji \ud83d\ude00 and é"));
        Assert.True(StorableText.IsValid(""));
        Assert.False(StorableText.IsValid("nul \0 inside"));
        Assert.False(StorableText.IsValid("lone high \ud800"));
        Assert.False(StorableText.IsValid("\udc00 lone low"));
        Assert.False(StorableText.IsValid("reversed \ude00\ud83d"));
        Assert.False(StorableText.IsValid("ends high \ud83d"));
    }

    [Fact]
    public void An_event_frame_has_the_readable_line_and_the_structured_fields()
    {
        var e = new ChatEvent("lobby", 7, ChatAction.Message, "Brenda Goodwin", "hi \"there\" é", "c-1",
            new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        using var json = JsonDocument.Parse(e.Json);
        var root = json.RootElement;

        Assert.Equal("message", root.GetProperty("action").GetString());
        Assert.Equal("Brenda Goodwin: hi \"there\" é", root.GetProperty("message").GetString());
        Assert.Equal("lobby", root.GetProperty("room").GetString());
        Assert.Equal(7, root.GetProperty("seq").GetInt64());
        Assert.Equal("c-1", root.GetProperty("id").GetString());
        Assert.Equal("2025-01-02T03:04:05Z", root.GetProperty("ts").GetString());
    }

    [Theory]
    [InlineData("192.0.2.7", "192.0.2.7")]
    [InlineData("::ffff:192.0.2.7", "192.0.2.7")]
    [InlineData("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64")]
    [InlineData("2001:db8:1:3::1", "2001:db8:1:3::/64")]
    [InlineData("::1", "::/64")]
    public void A_per_address_limit_counts_an_IPv4_address_or_the_64_network_of_an_IPv6_one(string address, string key) =>
        Assert.Equal(key, ClientAddress.Key(IPAddress.Parse(address)));

    [Fact]
    public void A_commit_reaches_each_member_whole_and_in_seq_order_before_the_next_member()
    {
        var bus = new LocalRoomEventBus(new AccountSockets(), new SessionSockets());
        var delivered = new List<string>();
        using var ann = bus.Subscribe("lobby", new RecordingMember("ann", delivered));
        using var bob = bus.Subscribe("lobby", new RecordingMember("bob", delivered));
        using var cat = bus.Subscribe("kitchen", new RecordingMember("cat", delivered));

        bus.PublishCommitted([Event("lobby", 1), Event("kitchen", 1), Event("lobby", 2), Event("nobody-here", 1)]);

        // Members are served in no particular order, each with the whole commit for the room in a row.
        Assert.True(
            delivered is ["ann lobby 1", "ann lobby 2", "bob lobby 1", "bob lobby 2", "cat kitchen 1"]
                or ["bob lobby 1", "bob lobby 2", "ann lobby 1", "ann lobby 2", "cat kitchen 1"],
            string.Join(", ", delivered));

        static ChatEvent Event(string room, long seq) =>
            new(room, seq, ChatAction.Message, "dan", "hi", $"c-{room}-{seq}", new DateTime(2025, 1, 2, 3, 4, 5, DateTimeKind.Utc));
    }

    [Fact]
    public void A_room_whose_last_member_leaves_while_another_joins_keeps_the_one_who_joined()
    {
        var bus = new LocalRoomEventBus(new AccountSockets(), new SessionSockets());
        var seq = 0L;

        // One thread empties the room again and again while the other joins it, publishes and checks it was served:
        // a join that finds the room as its last member leaves must land in a room that publishing still reaches.
        var churn = Task.Run(() =>
        {
            for (var i = 0; i < 100_000; i++)
            {
                bus.Subscribe("lobby", new RecordingMember("ann", [])).Dispose();
            }
        }, TestContext.Current.CancellationToken);
        var missed = 0;
        while (!churn.IsCompleted)
        {
            var delivered = new List<string>();
            using (bus.Subscribe("lobby", new RecordingMember("bob", delivered)))
            {
                bus.PublishCommitted([new ChatEvent("lobby", ++seq, ChatAction.Message, "dan", "hi", $"c-{seq}", DateTime.UnixEpoch)]);
            }

            missed += delivered.Count == 1 ? 0 : 1;
        }

        Assert.Equal(0, missed);
        var after = new List<string>();
        using var cat = bus.Subscribe("lobby", new RecordingMember("cat", after));
        bus.PublishCommitted([new ChatEvent("lobby", ++seq, ChatAction.Message, "dan", "hi", $"c-{seq}", DateTime.UnixEpoch)]);
        Assert.Equal([$"cat lobby {seq}"], after);
    }

    [Fact]
    public void Invalid_options_are_reported_with_the_key_to_fix()
    {
        var result = new ChatOptionsValidator().Validate(null, new ChatOptions
        {
            Url = "ftp://x",
            HistoryLength = -1,
            AckTimeout = TimeSpan.Zero,
            SendTimeout = TimeSpan.Zero,
            DefaultRoom = "no spaces",
        });

        Assert.True(result.Failed);
        Assert.Contains("Chat:Url", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Chat:HistoryLength", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Chat:AckTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Chat:SendTimeout", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("Chat:DefaultRoom", result.FailureMessage, StringComparison.Ordinal);
        Assert.True(new ChatOptionsValidator().Validate(null, new ChatOptions()).Succeeded);
    }

    private sealed class RecordingMember(string user, List<string> delivered) : IRoomSubscriber
    {
        public string User => user;

        public void OnCommitted(ChatEvent e) => delivered.Add($"{user} {e.Room} {e.Seq}");

        public void OnEphemeral(ReadOnlyMemory<byte> frame)
        {
        }

        public void CatchUp(long lastSeq)
        {
        }
    }
}
