using UNComp.Runtime.Calibration;

namespace UNComp.Runtime.Tests.Calibration;

public class HeadGroupPlannerTests
{
    [Fact]
    public void GroupSizes_UnevenSplit_GivesExtrasToLowerGroups()
    {
        Assert.Equal([3, 3, 2], HeadGroupPlanner.GroupSizes(8, 3));
        Assert.Equal([16, 16], HeadGroupPlanner.GroupSizes(32, 2));
    }

    [Fact]
    public void GroupSizes_MoreGroupsThanUnits_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => HeadGroupPlanner.GroupSizes(2, 8));
        Assert.Contains("queryHead", e.Message);
    }

    [Fact]
    public void QuantileLabels_TwoGroups_TopHalfIsOne_TiesToLowerIndex()
    {
        Assert.Equal([1, 0, 1, 0], HeadGroupPlanner.QuantileLabels([0.9, 0.1, 0.8, 0.2], 2));
        // Equal entropies: the lower index ranks lower, so it lands in the lower bucket.
        Assert.Equal([0, 0, 1, 1], HeadGroupPlanner.QuantileLabels([0.5, 0.5, 0.5, 0.5], 2));
        Assert.Equal([2, 0, 1, 3], HeadGroupPlanner.QuantileLabels([0.7, 0.1, 0.4, 0.9], 4));
    }

    [Fact]
    public void Assign_Votes_GreedyFromLowestLabel_TiesToLowerIndex()
    {
        int[][] votes = [[5, 5], [9, 1], [2, 8], [5, 5]];
        // Label 0 takes the two with most 0-votes: head 1 (9), then heads 0 and 3 tie at 5 → head 0.
        Assert.Equal([0, 0, 1, 1], HeadGroupPlanner.Assign(votes, 2));
    }

    [Fact]
    public void Votes_OverSamples_CountsBucketsPerHead()
    {
        var votes = HeadGroupPlanner.Votes([[0.1, 0.9], [0.8, 0.2], [0.1, 0.3]], 2, 2);
        Assert.Equal([2, 1], votes[0]);
        Assert.Equal([1, 2], votes[1]);
    }

    [Fact]
    public void KvHeadVotes_GqaFourToOne_SumsQueryHeadsOfEachKvHead()
    {
        int[][] q = [[1, 0], [0, 1], [1, 0], [1, 0], [0, 1], [0, 1], [0, 1], [1, 0]];
        var kv = HeadGroupPlanner.KvHeadVotes(q, 2);
        Assert.Equal([3, 1], kv[0]);
        Assert.Equal([1, 3], kv[1]);
        Assert.Equal([0, 1], HeadGroupPlanner.Assign(kv, 2));
        Assert.Equal([1.0, 2.6], HeadGroupPlanner.KvHeadScores([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], 2).Select(x => Math.Round(x, 12)));
    }
}

public class BudgetPlannerTests
{
    [Fact]
    public void ArithmeticWeights_TwoAndFourGroups_RampAroundOne()
    {
        Assert.Equal([2.0 / 3, 4.0 / 3], BudgetPlanner.ArithmeticWeights(2));
        Assert.Equal([0.4, 0.8, 1.2, 1.6], BudgetPlanner.ArithmeticWeights(4).Select(w => Math.Round(w, 12)));
    }

    [Fact]
    public void Plan_Mean384TwoGroups_GivesPaper256And512()
    {
        var plan = BudgetPlanner.Plan([0, 1, 1, 0], 384, BudgetPlanner.ArithmeticWeights(2), 8);
        Assert.Equal([256, 512, 512, 256], plan.Budgets);
        Assert.True(plan.Aligned);
    }

    [Fact]
    public void Plan_Mean128_AlignsToMultiplesOf16WithExactMean()
    {
        var plan = BudgetPlanner.Plan([0, 1], 128, BudgetPlanner.ArithmeticWeights(2), 8);
        Assert.Equal([80, 176], plan.Budgets);
        Assert.Equal(128, plan.Mean);
        Assert.True(plan.Aligned);
    }

    [Fact]
    public void Plan_NoAlignedSolution_RepairsToExactMeanHighestGroupFirst()
    {
        // Ideal 66.67 and 133.33 per unit; totals with multiples of 16 cannot make 300.
        var plan = BudgetPlanner.Plan([0, 1, 0], 100, BudgetPlanner.ArithmeticWeights(2), 8);
        Assert.False(plan.Aligned);
        Assert.Equal(300, plan.Budgets.Sum());
        // ŵ = w·3/(2·2/3 + 4/3) → b0 = 75, b1 = 150 exactly.
        Assert.Equal([75, 150, 75], plan.Budgets);

        var uneven = BudgetPlanner.Plan([0, 1, 1], 101, BudgetPlanner.ArithmeticWeights(2), 8, alignment: 1);
        Assert.Equal(303, uneven.Budgets.Sum());
        // Ideal 60.6 and 121.2: floors 60, 121, 121 (302), the spare token goes to the first unit of the highest group.
        Assert.Equal([60, 122, 121], uneven.Budgets);
    }

    [Fact]
    public void Plan_LowGroupBelowWindow_ClampsAndTakesFromHighGroup()
    {
        var plan = BudgetPlanner.Plan([0, 1], 10, BudgetPlanner.ArithmeticWeights(2), 8);
        Assert.Equal([8, 12], plan.Budgets);
    }

    [Fact]
    public void Plan_EightGroups_MeanExactAndMonotone()
    {
        var groups = Enumerable.Range(0, 32).Select(u => u % 8).ToArray();
        var plan = BudgetPlanner.Plan(groups, 384, BudgetPlanner.ArithmeticWeights(8), 8);
        Assert.Equal(384.0, plan.Mean);
        for (int u = 0; u < 32; u++)
        {
            for (int v = 0; v < 32; v++)
            {
                if (groups[u] > groups[v])
                {
                    Assert.True(plan.Budgets[u] >= plan.Budgets[v]);
                }
            }
        }
    }

    [Fact]
    public void AuthorsCompatible_M512_Gives384And768()
    {
        Assert.Equal((384, 768), BudgetPlanner.AuthorsCompatible(512));
        Assert.Equal([384, 768], BudgetPlanner.PlanAuthorsCompatible([0, 1], 512).Budgets);
        Assert.Equal((48, 97), BudgetPlanner.AuthorsCompatible(65)); // ⌊97.5⌋ = 97, 97/2 = 48
    }
}

public class StagePlannerTests
{
    [Fact]
    public void KeepLengths_Llama2Example_Matches()
    {
        Assert.Equal([4096, 3456, 2816, 2176, 1536], StagePlanner.KeepLengths(5, 4096, 1536));
        Assert.Equal([2048], StagePlanner.KeepLengths(1, 2048, 768));
        Assert.Equal([2048, 1408, 768], StagePlanner.KeepLengthsByRatio(3, 2048, 0.375));
    }

    [Fact]
    public void Split_DropsBelowMinusEpsilon_MakeLlama2StyleStages()
    {
        // Scores rising slowly with drops > 1 before layers 2, 15, 26, 31: the five stages the method names.
        var scores = new double[32];
        double s = 100;
        for (int l = 0; l < 32; l++)
        {
            if (l is 2 or 15 or 26 or 31)
            {
                s -= 3;
            }
            else if (l > 0)
            {
                s -= l % 3 == 0 ? 0.9 : -0.4; // small moves never split
            }

            scores[l] = s;
        }

        var stages = StagePlanner.Split(scores, 1.0);
        Assert.Equal([(0, 1), (2, 14), (15, 25), (26, 30), (31, 31)], stages);
    }

    [Fact]
    public void Split_NoDrops_SingleStage()
    {
        Assert.Equal([(0, 3)], StagePlanner.Split([1, 2, 3, 2.5], 1.0));
    }
}
