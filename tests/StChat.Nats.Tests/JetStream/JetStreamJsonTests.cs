using System.Text;
using System.Text.Json;
using StChat.Nats.JetStream;
using StChat.Nats.JetStream.Internal;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class JetStreamJsonTests
{
    [Fact]
    public void Pull_request_carries_batch_and_expires_in_nanoseconds()
    {
        var request = NatsJSContext.ToPullRequest(new NatsJSFetchOpts { MaxMsgs = 10, Expires = TimeSpan.FromSeconds(1) });

        Assert.Equal("""{"batch":10,"expires":1000000000}""", Serialize(request));
    }

    [Fact]
    public void No_wait_pull_request_leaves_out_expires()
    {
        var request = NatsJSContext.ToPullRequest(new NatsJSFetchOpts { MaxMsgs = 5, NoWait = true });

        Assert.Equal("""{"batch":5,"no_wait":true}""", Serialize(request));
    }

    [Fact]
    public void Pull_request_carries_max_bytes_when_set()
    {
        var request = NatsJSContext.ToPullRequest(
            new NatsJSFetchOpts { MaxMsgs = 2, Expires = TimeSpan.FromMilliseconds(1500), MaxBytes = 4096 });

        Assert.Equal("""{"batch":2,"expires":1500000000,"max_bytes":4096}""", Serialize(request));
    }

    [Theory]
    [InlineData(0, 1000, false, null)]
    [InlineData(1, 0, false, null)]
    [InlineData(1, 1000, false, 0L)]
    public void Invalid_fetch_options_are_refused(int maxMsgs, int expiresMs, bool noWait, long? maxBytes)
    {
        var opts = new NatsJSFetchOpts
        {
            MaxMsgs = maxMsgs,
            Expires = TimeSpan.FromMilliseconds(expiresMs),
            NoWait = noWait,
            MaxBytes = maxBytes,
        };

        Assert.Throws<ArgumentOutOfRangeException>(() => NatsJSContext.ToPullRequest(opts));
    }

    [Fact]
    public void Default_stream_config_is_written_in_snake_case_with_nanosecond_durations()
    {
        var config = new StreamConfig { Name = "ORDERS", Subjects = ["orders.>"] };

        // '>' is escaped by the default encoder, as the server itself does; both read back the same.
        Assert.Equal(
            """{"name":"ORDERS","subjects":["orders.\u003E"],"storage":"file","retention":"limits","max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msg_size":-1,"duplicate_window":120000000000,"num_replicas":1,"discard":"old"}""",
            Serialize(config));
    }

    [Fact]
    public void Stream_enums_are_written_as_the_api_strings()
    {
        var config = new StreamConfig
        {
            Name = "Q",
            Storage = StreamStorage.Memory,
            Retention = StreamRetention.WorkQueue,
            Discard = DiscardPolicy.New,
            MaxAge = TimeSpan.FromHours(1),
        };

        var json = Serialize(config);

        Assert.Contains("\"storage\":\"memory\"", json, StringComparison.Ordinal);
        Assert.Contains("\"retention\":\"workqueue\"", json, StringComparison.Ordinal);
        Assert.Contains("\"discard\":\"new\"", json, StringComparison.Ordinal);
        Assert.Contains("\"max_age\":3600000000000", json, StringComparison.Ordinal);
        Assert.Contains("\"retention\":\"interest\"", Serialize(config with { Retention = StreamRetention.Interest }), StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicate_window_longer_than_max_age_is_shortened_to_it()
    {
        var config = new StreamConfig { Name = "S", MaxAge = TimeSpan.FromSeconds(30) };

        Assert.Equal(TimeSpan.FromSeconds(30), NatsJSContext.ToWire(config).DuplicateWindow);
        Assert.Equal(TimeSpan.FromMinutes(2), NatsJSContext.ToWire(config with { MaxAge = TimeSpan.Zero }).DuplicateWindow);
    }

    [Fact]
    public void Consumer_create_request_wraps_the_config_and_leaves_out_unset_options()
    {
        var request = new ConsumerCreateRequest("ORDERS", new ConsumerConfig { DurableName = "worker" });

        Assert.Equal(
            """{"stream_name":"ORDERS","config":{"durable_name":"worker","ack_policy":"explicit","ack_wait":30000000000,"max_ack_pending":1000,"max_deliver":-1,"deliver_policy":"all"}}""",
            Serialize(request));
    }

    [Fact]
    public void Consumer_config_writes_filters_and_start_options_when_set()
    {
        var config = new ConsumerConfig
        {
            DurableName = "w",
            AckPolicy = AckPolicy.All,
            FilterSubject = "orders.new",
            FilterSubjects = ["a", "b"],
            DeliverPolicy = DeliverPolicy.ByStartSequence,
            OptStartSeq = 42,
        };

        var json = Serialize(new ConsumerCreateRequest("S", config));

        Assert.Contains("\"ack_policy\":\"all\"", json, StringComparison.Ordinal);
        Assert.Contains("\"filter_subject\":\"orders.new\"", json, StringComparison.Ordinal);
        Assert.Contains("\"filter_subjects\":[\"a\",\"b\"]", json, StringComparison.Ordinal);
        Assert.Contains("\"deliver_policy\":\"by_start_sequence\"", json, StringComparison.Ordinal);
        Assert.Contains("\"opt_start_seq\":42", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeliverPolicy.All, "all")]
    [InlineData(DeliverPolicy.Last, "last")]
    [InlineData(DeliverPolicy.New, "new")]
    [InlineData(DeliverPolicy.ByStartSequence, "by_start_sequence")]
    [InlineData(DeliverPolicy.ByStartTime, "by_start_time")]
    [InlineData(DeliverPolicy.LastPerSubject, "last_per_subject")]
    public void Deliver_policies_round_trip_as_the_api_strings(DeliverPolicy policy, string wire)
    {
        var json = Serialize(new ConsumerCreateRequest("S", new ConsumerConfig { DeliverPolicy = policy }));
        Assert.Contains($"\"deliver_policy\":\"{wire}\"", json, StringComparison.Ordinal);

        var back = JsonSerializer.Deserialize(json, JetStreamJsonContext.Default.ConsumerCreateRequest);
        Assert.Equal(policy, back?.Config.DeliverPolicy);
    }

    [Theory]
    [InlineData(AckPolicy.Explicit, "explicit")]
    [InlineData(AckPolicy.None, "none")]
    [InlineData(AckPolicy.All, "all")]
    public void Ack_policies_are_written_as_the_api_strings(AckPolicy policy, string wire)
    {
        var json = Serialize(new ConsumerCreateRequest("S", new ConsumerConfig { AckPolicy = policy }));

        Assert.Contains($"\"ack_policy\":\"{wire}\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Stream_info_reply_of_the_server_is_read_with_nanosecond_timestamps()
    {
        const string reply = """
            {"type":"io.nats.jetstream.api.v1.stream_create_response","config":{"name":"S1","subjects":["s1.\u003e"],"retention":"workqueue","max_consumers":-1,"max_msgs":10,"max_bytes":-1,"max_age":5000000000,"max_msgs_per_subject":-1,"max_msg_size":-1,"discard":"old","storage":"memory","num_replicas":1,"duplicate_window":120000000000,"allow_direct":false,"mirror_direct":false,"sealed":false,"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false},"created":"2026-11-22T11:10:51.655697217Z","state":{"messages":3,"bytes":120,"first_seq":1,"first_ts":"2026-11-22T11:10:52.000000001Z","last_seq":3,"last_ts":"0001-01-01T00:00:00Z","consumer_count":2}}
            """;

        var info = ApiReply.Parse(Encoding.UTF8.GetBytes(reply), JetStreamJsonContext.Default.StreamInfo, "test");

        Assert.Equal("S1", info.Config.Name);
        Assert.Equal(["s1.>"], info.Config.Subjects);
        Assert.Equal(StreamRetention.WorkQueue, info.Config.Retention);
        Assert.Equal(StreamStorage.Memory, info.Config.Storage);
        Assert.Equal(10, info.Config.MaxMsgs);
        Assert.Equal(TimeSpan.FromSeconds(5), info.Config.MaxAge);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 11, 10, 51, TimeSpan.Zero).AddTicks(6_556_972), info.Created);
        Assert.Equal(3UL, info.State.Messages);
        Assert.Equal(3UL, info.State.LastSeq);
        Assert.Equal(2, info.State.ConsumerCount);
    }

    [Fact]
    public void Consumer_info_reply_of_the_server_is_read()
    {
        const string reply = """
            {"type":"io.nats.jetstream.api.v1.consumer_create_response","stream_name":"S1","name":"D1","created":"2026-11-22T11:10:51.881774094Z","config":{"durable_name":"D1","name":"D1","deliver_policy":"all","ack_policy":"explicit","ack_wait":5000000000,"max_deliver":3,"filter_subject":"s1.a","replay_policy":"instant","max_waiting":512,"max_ack_pending":10,"num_replicas":0},"delivered":{"consumer_seq":4,"stream_seq":6},"ack_floor":{"consumer_seq":2,"stream_seq":3},"num_ack_pending":2,"num_redelivered":1,"num_waiting":1,"num_pending":9}
            """;

        var info = ApiReply.Parse(Encoding.UTF8.GetBytes(reply), JetStreamJsonContext.Default.ConsumerInfo, "test");

        Assert.Equal("S1", info.StreamName);
        Assert.Equal("D1", info.Name);
        Assert.Equal("D1", info.Config.DurableName);
        Assert.Equal(TimeSpan.FromSeconds(5), info.Config.AckWait);
        Assert.Equal(3, info.Config.MaxDeliver);
        Assert.Equal(10, info.Config.MaxAckPending);
        Assert.Equal("s1.a", info.Config.FilterSubject);
        Assert.Equal(6UL, info.Delivered.StreamSeq);
        Assert.Equal(2UL, info.AckFloor.ConsumerSeq);
        Assert.Equal(2, info.NumAckPending);
        Assert.Equal(9UL, info.NumPending);
    }

    [Fact]
    public void Nak_with_delay_carries_the_delay_in_nanoseconds()
    {
        Assert.Equal("""-NAK {"delay":1500000000}""", Encoding.UTF8.GetString(AckPayloads.NakWithDelay(TimeSpan.FromMilliseconds(1500))));
    }

    private static string Serialize<T>(T value) =>
        JsonSerializer.Serialize(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)JetStreamJsonContext.Default.GetTypeInfo(typeof(T))!);
}
