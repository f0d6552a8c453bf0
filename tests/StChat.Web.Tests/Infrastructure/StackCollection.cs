using Xunit;

namespace StChat.Web.Tests.Infrastructure;

// The classes that need the running stack share one: starting `serve` costs seconds on a busy machine.
[CollectionDefinition(Name)]
public sealed class StackCollection : ICollectionFixture<StackFixture>
{
    public const string Name = "stack";
}
