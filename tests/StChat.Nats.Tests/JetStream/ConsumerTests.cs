using StChat.Nats.JetStream;
using StChat.Testing;
using Xunit;

namespace StChat.Nats.Tests.JetStream;

public sealed class ConsumerTests(NatsServerFixture fixture) : JetStreamTestBase(fixture), IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Created_durable_consumer_has_the_requested_configuration()
    {
        var stream = await CreateStreamAsync();

        var info = await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            DurableName = "worker",
            AckWait = TimeSpan.FromSeconds(7),
            MaxAckPending = 50,
            MaxDeliver = 4,
            FilterSubject = $"{stream}.orders",
        });

        Assert.Equal(stream, info.StreamName);
        Assert.Equal("worker", info.Name);
        Assert.Equal("worker", info.Config.DurableName);
        Assert.Equal(AckPolicy.Explicit, info.Config.AckPolicy);
        Assert.Equal(TimeSpan.FromSeconds(7), info.Config.AckWait);
        Assert.Equal(50, info.Config.MaxAckPending);
        Assert.Equal(4, info.Config.MaxDeliver);
        Assert.Equal($"{stream}.orders", info.Config.FilterSubject);
        Assert.Equal(DeliverPolicy.All, info.Config.DeliverPolicy);
    }

    [Fact]
    public async Task Creating_an_existing_durable_with_changed_limits_and_filter_updates_it()
    {
        var stream = await CreateStreamAsync();
        var created = await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = "worker", FilterSubject = $"{stream}.a" });

        var updated = await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            DurableName = "worker",
            AckWait = TimeSpan.FromSeconds(3),
            MaxAckPending = 5,
            MaxDeliver = 2,
            FilterSubject = $"{stream}.b",
        });

        Assert.Equal(created.Created, updated.Created);
        Assert.Equal(TimeSpan.FromSeconds(3), updated.Config.AckWait);
        Assert.Equal(5, updated.Config.MaxAckPending);
        Assert.Equal(2, updated.Config.MaxDeliver);
        Assert.Equal($"{stream}.b", updated.Config.FilterSubject);
        var fetched = await Js.GetConsumerAsync(stream, "worker");
        Assert.Equal(TimeSpan.FromSeconds(3), fetched.Config.AckWait);
    }

    [Fact]
    public async Task Re_creating_a_durable_with_the_same_configuration_changes_nothing()
    {
        var stream = await CreateStreamAsync();
        var config = new ConsumerConfig { DurableName = "worker", AckWait = TimeSpan.FromSeconds(5) };
        var first = await Js.CreateOrUpdateConsumerAsync(stream, config);

        var second = await Js.CreateOrUpdateConsumerAsync(stream, config);

        Assert.Equal(first.Created, second.Created);
        Assert.Equal(first.Config, second.Config);
    }

    [Fact]
    public async Task Changing_the_deliver_policy_of_a_durable_is_an_api_error()
    {
        var stream = await CreateStreamAsync();
        await CreateConsumerAsync(stream, "worker");

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(async () =>
            await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = "worker", DeliverPolicy = DeliverPolicy.New }));

        Assert.Equal(10012, ex.ErrCode);
        Assert.Contains("deliver policy", ex.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wildcard_filter_subject_is_accepted()
    {
        var stream = await CreateStreamAsync();

        var info = await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = "all", FilterSubject = $"{stream}.*" });

        Assert.Equal($"{stream}.*", info.Config.FilterSubject);
    }

    [Fact]
    public async Task Consumer_without_a_durable_name_is_ephemeral_with_a_server_chosen_name()
    {
        var stream = await CreateStreamAsync();

        var info = await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig());

        Assert.False(string.IsNullOrEmpty(info.Name));
        Assert.Null(info.Config.DurableName);
    }

    [Fact]
    public async Task Consumer_start_options_are_applied()
    {
        var stream = await CreateStreamAsync();
        await PublishManyAsync($"{stream}.x", 3);

        await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            DurableName = "from3",
            DeliverPolicy = DeliverPolicy.ByStartSequence,
            OptStartSeq = 3,
        });
        var msgs = await FetchAllAsync(stream, "from3", new NatsJSFetchOpts { MaxMsgs = 10, NoWait = true });

        Assert.Equal([3UL], msgs.Select(m => m.Metadata!.Value.StreamSequence));
    }

    [Fact]
    public async Task Several_filter_subjects_are_refused_by_a_2_9_server_without_creating_the_consumer()
    {
        var stream = await CreateStreamAsync();

        var ex = await Assert.ThrowsAsync<NatsJSException>(async () =>
            await Js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { DurableName = "multi", FilterSubjects = [$"{stream}.a", $"{stream}.b"] }));

        Assert.Contains("2.10", ex.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<NatsJSApiException>(async () => await Js.GetConsumerAsync(stream, "multi"));
        Assert.Equal(10014, missing.ErrCode);
    }

    [Fact]
    public async Task Missing_consumer_is_an_api_error_with_code_404()
    {
        var stream = await CreateStreamAsync();

        var ex = await Assert.ThrowsAsync<NatsJSApiException>(async () => await Js.GetConsumerAsync(stream, "nobody"));

        Assert.Equal(404, ex.Code);
        Assert.Equal(10014, ex.ErrCode);
    }
}
