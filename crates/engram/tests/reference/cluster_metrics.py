"""Reference values for crates/engram/tests/cluster.rs, computed once with scikit-learn 1.9.1
(in a throwaway virtual environment; scikit-learn is not a dependency of engram).

Run: python cluster_metrics.py  (needs numpy and scikit-learn)
"""
import numpy as np
from sklearn import datasets
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.preprocessing import StandardScaler

# A small hand-made case with a singleton cluster.
x = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0], [5.0, 5.0], [6.0, 5.0], [5.0, 7.0], [10.0, 0.0]])
labels = np.array([0, 0, 0, 1, 1, 1, 2])
print("toy silhouette", repr(silhouette_score(x, labels)))

iris = datasets.load_iris()
z = StandardScaler().fit_transform(iris.data)
print("iris standardised, true labels: silhouette", repr(silhouette_score(z, iris.target)))
other = np.array([(t + (1 if i % 7 == 0 else 0)) % 3 for i, t in enumerate(iris.target)])
print("iris NMI", repr(normalized_mutual_info_score(iris.target, other)))
print("iris ARI", repr(adjusted_rand_score(iris.target, other)))
wine = datasets.load_wine()
zw = StandardScaler().fit_transform(wine.data)
print("wine standardised, true labels: silhouette", repr(silhouette_score(zw, wine.target)))
a = [0, 0, 1, 1, 2, 2, 2, 3]
b = [1, 1, 0, 0, 0, 2, 2, 2]
print("small NMI", repr(normalized_mutual_info_score(a, b)), "ARI", repr(adjusted_rand_score(a, b)))

from sklearn.cluster import KMeans
for name, z_ in [("iris", z), ("wine", zw)]:
    km = KMeans(3, n_init=10, random_state=0).fit(z_)
    print(name, "k-means (k=3, n_init=10) inertia", repr(km.inertia_), "silhouette", repr(silhouette_score(z_, km.labels_)))
